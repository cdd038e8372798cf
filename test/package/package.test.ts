import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ISOLATIONS, ROOT, runNode, tempDir } from '../helpers';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'process');
const HANDLERS = path.join(FIXTURES, 'handlers');

async function runJobs(folder: string, jobs: string[], nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const run = await runNode([...nodeArgs, path.join(FIXTURES, 'run-jobs.mjs'), folder, ...jobs], env);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as { outcomes: Record<string, unknown>[]; log: string[] };
}

describe('the built package in a real Node process', () => {
  test('ESM import and CommonJS require share one copy of the library', async () => {
    const run = await runNode([path.join(FIXTURES, 'dual-package.mjs')]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ sameManager: true, sameCurrentJob: true });
    expect(report.oneCNames).toEqual([
      ['МенеджерФоновыхЗаданий', true],
      ['ФоновоеЗадание', true],
      ['РегламентноеЗадание', true],
    ]);
    expect(report.exports).toEqual(
      expect.arrayContaining([
        'backgroundJobs',
        'BackgroundJobsManager',
        'МенеджерФоновыхЗаданийWeb',
        'Сообщить',
        'currentJob',
        'ФоновыеЗадания',
        'BackgroundJobs',
      ]),
    );
  });

  test('the default export is the middleware factory, through import and through require().default', async () => {
    const run = await runNode([path.join(FIXTURES, 'default-export.mjs')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ importDefault: true, requireDefault: true });
  });

  test('.mjs handlers and ES-module .js handlers load with import()', async () => {
    const esm = await runJobs(HANDLERS, ['Esm.Hello:"ESM"']);
    const modern = await runJobs(path.join(FIXTURES, 'esm-handlers'), ['Modern.Greet:"1C"']);
    expect([...esm.outcomes, ...modern.outcomes]).toEqual([
      { method: 'Esm.Hello', state: 'Completed', result: 'hello ESM' },
      { method: 'Modern.Greet', state: 'Completed', result: 'greetings, 1C' },
    ]);
  });

  test('.ts handlers run where the application registered a TypeScript loader, and are not considered otherwise', async () => {
    const loaded = await runJobs(
      HANDLERS,
      ['Typed.Double:21'],
      ['--require', path.join(FIXTURES, 'register-ts.cjs')],
    );
    expect(loaded.outcomes).toEqual([{ method: 'Typed.Double', state: 'Completed', result: 42 }]);
    const plain = await runJobs(HANDLERS, ['Typed.Double:21']);
    expect(plain.outcomes).toEqual([
      expect.objectContaining({
        code: 'WBJ_HANDLER_NOT_FOUND',
        message: expect.stringContaining('Typed.js or Typed.cjs or Typed.mjs'),
      }),
    ]);
  });

  test('a .ts handler found without a TypeScript loader is named, with how to run it', async () => {
    const folder = tempDir();
    writeFileSync(
      path.join(folder, 'Calc.ts'),
      'export function Add(a: number): number {\n  return a + 1;\n}\n',
    );
    const { outcomes } = await runJobs(folder, ['Calc.Add:1']);
    expect(outcomes).toEqual([
      {
        method: 'Calc.Add',
        code: 'WBJ_HANDLER_NOT_FOUND',
        message:
          'No handler module "Calc" in the handlers folder; expected a file Calc.js or Calc.cjs or Calc.mjs. ' +
          'Calc.ts is there, but this process has no TypeScript loader to run it: start Node with one ' +
          '(node --import tsx your-app.js) or build the handler to .js',
      },
    ]);
  });

  test.each(ISOLATIONS)(
    'an unhandled rejection a handler leaves behind fails only its own job; the process and other jobs go on [%s]',
    async (isolation) => {
      const { outcomes, log } = await runJobs(
        HANDLERS,
        ['Stray.LeaveRejection', 'Stray.RejectJustBeforeReturn', 'Stray.RejectAfterEnd', 'Stray.Good'],
        [],
        { WBJ_ISOLATION: isolation },
      );
      expect(outcomes).toEqual([
        { method: 'Stray.LeaveRejection', state: 'Failed', error: 'left behind while running' },
        { method: 'Stray.RejectJustBeforeReturn', state: 'Failed', error: 'rejected just before return' },
        { method: 'Stray.RejectAfterEnd', state: 'Completed', result: 'done' },
        { method: 'Stray.Good', state: 'Completed', result: 'good' },
      ]);
      // In whatever order the rejections surfaced:
      expect(log).toHaveLength(3);
      expect(log).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /Background job .* \(Stray\.LeaveRejection\) failed with an unhandled rejection: left behind while running/,
          ),
          expect.stringMatching(
            /\(Stray\.RejectJustBeforeReturn\) failed with an unhandled rejection: rejected just before return/,
          ),
          // Inline the manager still holds the job and names its state; a worker reports it through the pool.
          expect.stringMatching(
            /\(Stray\.RejectAfterEnd\) left an unhandled rejection after it ended( as Completed)?: rejected after the end/,
          ),
        ]),
      );
    },
  );

  test('after the application took every process listener away, the rejection a job leaves still fails it, and a once listener put first afterwards gets a rejection outside jobs', async () => {
    const run = await runNode([path.join(FIXTURES, 'rejection-after-removal.mjs')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim().split('\n')).toEqual([
      'Stray.Good Completed',
      expect.stringMatching(
        /^\[web-background-jobs\] Background job .* \(Stray\.LeaveRejection\) failed with an unhandled rejection: left behind while running$/,
      ),
      'Stray.LeaveRejection Failed: left behind while running',
      'once listener: rejected outside any job',
      'still running',
    ]);
  });

  test("after the application took the library's watchers of removed listeners away, then every unhandledRejection listener, the rejection the next job leaves still fails it", async () => {
    const run = await runNode([path.join(FIXTURES, 'rejection-watchers-removed.mjs')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim().split('\n')).toEqual([
      'Stray.Good Completed',
      expect.stringMatching(
        /\(Stray\.LeaveRejection\) failed with an unhandled rejection: left behind while running$/,
      ),
      'Stray.LeaveRejection Failed: left behind while running',
      'still running',
    ]);
  });

  test("after the application took the library's watchers of added listeners away, a once listener it puts first before a job gets a rejection outside jobs, and the process lives", async () => {
    const run = await runNode([path.join(FIXTURES, 'rejection-newlistener-removed.mjs')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim().split('\n')).toEqual([
      'Stray.Good Completed',
      'Stray.Good Completed',
      'once listener: rejected outside any job',
      'still running',
    ]);
  });

  test.each([
    ["removeAllListeners('newListener')", 'newListener'],
    ["removeAllListeners('removeListener'), then removeAllListeners('newListener')", 'removeListener'],
    ['removeListener of each, first added first', 'oneByOne'],
    ['removeAllListeners()', 'all'],
  ])(
    "after the application took the library's watchers of listeners away (%s), a once listener it puts first with no job started since gets a rejection outside jobs, and the process lives",
    async (_how, takeAway) => {
      const run = await runNode([path.join(FIXTURES, 'rejection-watchers-taken.mjs'), takeAway]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout.trim().split('\n')).toEqual([
        'Stray.Good Completed',
        'once listener: rejected outside any job',
        'still running',
      ]);
    },
  );

  test("with another library keeping its own listener first the same way, the two do not move each other first forever: the library's job's rejection still fails it, one outside jobs goes to the other listener, and the process lives", async () => {
    const run = await runNode([path.join(FIXTURES, 'rejection-keep-first-rival.mjs')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim().split('\n')).toEqual([
      'Stray.Good Completed',
      // First, the other library's listener hears the job's rejection too (docs/ARCHITECTURE.md).
      'other library: left behind while running',
      expect.stringMatching(
        /\(Stray\.LeaveRejection\) failed with an unhandled rejection: left behind while running$/,
      ),
      'Stray.LeaveRejection Failed: left behind while running',
      'other library: rejected outside any job',
      'still running',
    ]);
  });

  test('rejections outside jobs handed back to Node, many in one step, leave the library listening first: a rejection a once listener the application put first handles is not raised', async () => {
    const run = await runNode([path.join(FIXTURES, 'rejection-handed-back-many.mjs')]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim().split('\n')).toEqual([
      'Stray.Good Completed',
      ...Array.from({ length: 12 }, (_, index) => `uncaught: stray ${index}`),
      'Stray.Good Completed',
      'application: handled by the application',
      'still running',
    ]);
  });

  test('a rejection outside any job still crashes the process, as Node does by default', async () => {
    const run = await runNode([path.join(FIXTURES, 'rejection-outside-jobs.mjs')]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('rejected outside any job');
  });
});
