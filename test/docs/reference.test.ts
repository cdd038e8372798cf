import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers';

const run = promisify(execFile);

/** Runs `command` in the repository; resolves with its exit code and output. */
async function exitOf(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

/** `npm run docs`, with extra TypeDoc arguments. */
const docs = (...args: string[]) => exitOf('npm', ['run', '--silent', 'docs', '--', ...args]);

/** TypeDoc itself. */
const typedoc = (...args: string[]) => exitOf(path.join(ROOT, 'node_modules', '.bin', 'typedoc'), args);

describe('npm run docs: the API reference generated from the TSDoc', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'wbj-reference-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('builds without a warning and documents the main classes and the middleware', async () => {
    const { code, output } = await docs('--out', out);
    expect([code, output]).toEqual([0, expect.not.stringMatching(/warning|error/i)]);
    for (const page of [
      'index.html',
      'classes/BackgroundJobsManager.html',
      'classes/BackgroundJob.html',
      'classes/ScheduledJob.html',
      'classes/BackgroundJobsError.html',
      'functions/backgroundJobs.html',
      'functions/backgroundJobsDashboard.html',
    ])
      expect([page, existsSync(path.join(out, page))]).toEqual([page, true]);
  }, 180_000);

  test('a broken {@link} in a TSDoc comment fails it, naming the link', async () => {
    const planted = mkdtempSync(path.join(os.tmpdir(), 'wbj-reference-link-'));
    try {
      writeFileSync(
        path.join(planted, 'index.ts'),
        '/** Links to {@link NoSuchThing}, which does not exist. */\nexport const answer = 42;\n',
      );
      writeFileSync(
        path.join(planted, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: true }, files: ['index.ts'] }),
      );
      // The reference's own configuration, on a file of one broken link.
      writeFileSync(
        path.join(planted, 'typedoc.json'),
        JSON.stringify({
          extends: [path.join(ROOT, 'config', 'typedoc.json')],
          entryPoints: ['index.ts'],
          tsconfig: 'tsconfig.json',
          intentionallyNotExported: [],
          out: 'out',
        }),
      );
      const { code, output } = await typedoc('--options', path.join(planted, 'typedoc.json'));
      expect(code).not.toBe(0);
      expect(output).toMatch(/NoSuchThing/);
    } finally {
      rmSync(planted, { recursive: true, force: true });
    }
  }, 180_000);
});
