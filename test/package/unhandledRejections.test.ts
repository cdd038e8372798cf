import path from 'node:path';
import { type NodeRun, ROOT, runNode } from '../helpers';

// The library listens for 'unhandledRejection' to fail the job a stray rejection belongs to. Every other rejection
// must end exactly as it does without the library, in each --unhandled-rejections mode: the same script is run
// with and without the library (which then runs an inline job first) and the two runs are compared.

const SCRIPT = path.join(ROOT, 'test', 'fixtures', 'process', 'rejection-modes.mjs');
const MODES = ['throw', 'strict', 'warn', 'none', 'warn-with-error-code'] as const;
type Mode = (typeof MODES)[number];

/** A run of the script: its exit code and output, with what differs between any two runs (pids) made equal. */
async function run(scenario: string, { library = false, flags = [] as string[], nodeOptions = '' } = {}) {
  const result: NodeRun = await runNode([...flags, SCRIPT, scenario, ...(library ? ['--library'] : [])], {
    NODE_OPTIONS: nodeOptions,
  });
  // Node numbers rejections internally and does not say how; the library's warning cannot give the same number.
  const stderr = result.stderr
    .replace(/\(node:\d+\)/g, '(node:PID)')
    .replace(/\(rejection id: \w+\)/g, '(rejection id: N)');
  return { code: result.code, stdout: result.stdout, stderr };
}

/** Runs the scenario with and without the library, side by side. */
async function withAndWithout(scenario: string, options: { flags?: string[]; nodeOptions?: string }) {
  const [without, withLibrary] = await Promise.all([
    run(scenario, options),
    run(scenario, { ...options, library: true }),
  ]);
  return { without, withLibrary };
}

const CRASHED = 'Error: rejected outside any job';
const WARNED = 'UnhandledPromiseRejectionWarning: Error: rejected outside any job';
const GOES_ON = 'still running\n';

/** What Node does with a rejection nobody handles, per mode: whether it crashes, warns, and the exit code. */
const ALONE: Record<Mode, { code: number; crashed: boolean; warned: boolean }> = {
  throw: { code: 1, crashed: true, warned: false },
  strict: { code: 1, crashed: true, warned: false },
  warn: { code: 0, crashed: false, warned: true },
  none: { code: 0, crashed: false, warned: false },
  'warn-with-error-code': { code: 1, crashed: false, warned: true },
};

describe('a rejection outside any job ends as it does without the library', () => {
  test.concurrent.each(MODES)(
    '--unhandled-rejections=%s, nobody listening: crash, warning and exit code are Node’s own',
    async (mode) => {
      const { without, withLibrary } = await withAndWithout('', {
        flags: [`--unhandled-rejections=${mode}`],
      });
      expect(withLibrary).toEqual(without);
      const expected = ALONE[mode];
      expect(without.code).toBe(expected.code);
      expect(without.stderr.includes(CRASHED) && !without.stderr.includes(WARNED)).toBe(expected.crashed);
      expect(without.stderr.includes(WARNED)).toBe(expected.warned);
      expect(without.stdout.includes(GOES_ON)).toBe(!expected.crashed);
    },
    60_000,
  );

  test.concurrent.each(MODES)(
    '--unhandled-rejections=%s, a rejection with 42: Node’s own report of a non-Error reason',
    async (mode) => {
      const { without, withLibrary } = await withAndWithout('non-error', {
        flags: [`--unhandled-rejections=${mode}`],
      });
      expect(withLibrary).toEqual(without);
      expect(without.code).toBe(ALONE[mode].code);
    },
    60_000,
  );

  test.concurrent.each(MODES)(
    '--unhandled-rejections=%s with an uncaughtException listener: it gets the rejection with origin unhandledRejection where Node gives it one, and Node’s warnings stay',
    async (mode) => {
      const { without, withLibrary } = await withAndWithout('uncaught-handler', {
        flags: [`--unhandled-rejections=${mode}`],
      });
      expect(withLibrary).toEqual(without);
      expect(
        without.stdout.includes('uncaughtException (unhandledRejection): rejected outside any job'),
      ).toBe(mode === 'throw' || mode === 'strict');
      expect(without.stdout).toContain(GOES_ON);
    },
    60_000,
  );

  test.concurrent.each([
    ['throw', 'listener'],
    ['throw', 'listener-removed'],
    ['throw', 'once-first'],
    ['throw', 'uncaught-handler+non-error'],
    ['strict', 'uncaught-handler+listener'],
    ['strict', 'uncaught-handler+listener-removed'],
    ['strict', 'uncaught-handler+once-first'],
    ['warn-with-error-code', 'listener'],
    ['warn-with-error-code', 'listener-removed'],
    ['warn-with-error-code', 'once-first'],
  ] as const)(
    '--unhandled-rejections=%s, application listeners (%s) added or removed around the library’s: the same outcome',
    async (mode, scenario) => {
      const { without, withLibrary } = await withAndWithout(scenario, {
        flags: [`--unhandled-rejections=${mode}`],
      });
      expect(withLibrary).toEqual(without);
      const listened = scenario.includes('listener') && !scenario.includes('removed');
      const once = scenario.includes('once-first');
      if (listened) expect(without.stdout).toContain('application listener: rejected outside any job');
      if (once) expect(without.stdout).toContain('once listener: rejected outside any job');
    },
    60_000,
  );

  test.concurrent.each([
    ['NODE_OPTIONS alone', [], '--unhandled-rejections=warn', 'warn'],
    ['NODE_OPTIONS, quoted', [], '"--unhandled-rejections=none"', 'none'],
    [
      'NODE_OPTIONS, value as its own word',
      [],
      '--unhandled-rejections warn-with-error-code',
      'warn-with-error-code',
    ],
    [
      'the command line over NODE_OPTIONS',
      ['--unhandled-rejections=warn'],
      '--unhandled-rejections=none',
      'warn',
    ],
    [
      'the last of two flags, one with an underscore',
      ['--unhandled-rejections=none', '--unhandled_rejections=warn'],
      '',
      'warn',
    ],
  ] as const)(
    'the mode is read as Node reads it: %s',
    async (_case, flags, nodeOptions, mode) => {
      const { without, withLibrary } = await withAndWithout('', { flags: [...flags], nodeOptions });
      expect(withLibrary).toEqual(without);
      expect(without.code).toBe(ALONE[mode].code);
      expect(without.stderr.includes(WARNED)).toBe(ALONE[mode].warned);
    },
    60_000,
  );
});

describe('a rejection a handler leaves behind, per mode', () => {
  const LEFT = 'left behind while running';

  test.concurrent.each(['throw', 'warn', 'none', 'warn-with-error-code'] as const)(
    '--unhandled-rejections=%s: it fails its job, inline and in a worker thread; only warn mode also warns of it, as Node warns of every rejection then',
    async (mode) => {
      const runs = await Promise.all(
        ['job-rejection', 'job-rejection+thread'].map((scenario) =>
          run(scenario, { library: true, flags: [`--unhandled-rejections=${mode}`] }),
        ),
      );
      for (const { stdout, stderr } of runs) {
        expect(stdout).toContain(`job Failed: ${LEFT}`);
        expect(stderr.includes(`UnhandledPromiseRejectionWarning: Error: ${LEFT}`)).toBe(mode === 'warn');
        expect(stderr).not.toContain(`\nError: ${LEFT}`); // never raised as an uncaught exception
      }
    },
    60_000,
  );

  test.concurrent(
    '--unhandled-rejections=strict inline: Node raises it as an uncaught exception before any listener, so the process crashes as for any other rejection',
    async () => {
      const { code, stdout, stderr } = await run('job-rejection', {
        library: true,
        flags: ['--unhandled-rejections=strict'],
      });
      expect(code).toBe(1);
      expect(stderr).toContain(`Error: ${LEFT}`);
      expect(stdout).not.toContain('job Failed');
    },
    60_000,
  );

  test.concurrent(
    '--unhandled-rejections=strict inline with an uncaughtException listener that keeps the process alive: the listener sees it first, then the job fails with it',
    async () => {
      const { stdout } = await run('job-rejection+uncaught-handler', {
        library: true,
        flags: ['--unhandled-rejections=strict'],
      });
      expect(stdout).toContain(`uncaughtException (unhandledRejection): ${LEFT}\n`);
      expect(stdout).toContain(`job Failed: ${LEFT}\n`);
      expect(stdout.indexOf('uncaughtException')).toBeLessThan(stdout.indexOf('job Failed'));
    },
    60_000,
  );

  test.concurrent(
    '--unhandled-rejections=strict in thread isolation: only the job’s worker dies, and the job fails with WBJ_WORKER_CRASHED',
    async () => {
      const { stdout } = await run('job-rejection+thread+uncaught-handler', {
        library: true,
        flags: ['--unhandled-rejections=strict'],
      });
      expect(stdout).toContain(
        `job Failed (WBJ_WORKER_CRASHED): The worker thread running the job crashed with an uncaught exception: ${LEFT}\n`,
      );
      expect(stdout).not.toContain(`uncaughtException (unhandledRejection): ${LEFT}`);
    },
    60_000,
  );
});
