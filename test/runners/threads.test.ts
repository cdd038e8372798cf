import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BackgroundJob, BackgroundJobState } from 'web-background-jobs';
import { createManager, eventually, recordingLogger, tempDir } from '../helpers';

const GRACE_MS = 300;
/** The handlers of the fuzz suites: `Values.Build` builds a value from a recipe inside the worker. */
const FUZZ_HANDLERS = path.join(__dirname, '..', 'fixtures', 'fuzz', 'handlers');

/** A one-thread pool: a job that held its worker proves by finishing that the worker was freed or replaced. */
function onePool(options: Parameters<typeof createManager>[0] = {}) {
  return createManager({ isolation: 'thread', maxThreads: 1, cancelGraceMs: GRACE_MS, ...options });
}

/**
 * Cancels `job` and checks what the issue promises: `Canceled` at once, no errorInfo, the pool back within the
 * grace + 1 s. `forced`: the handler ignores its signal, so its worker must have been terminated after the grace.
 */
async function cancelAndExpectPoolBack(
  manager: ReturnType<typeof onePool>,
  job: BackgroundJob,
  forced: boolean,
) {
  const cancelled = Date.now();
  job.cancel();
  expect(job.state).toBe(BackgroundJobState.Canceled);
  expect(job.errorInfo).toBeUndefined();
  const next = await manager.execute('Hazards.Square', [7]);
  await next.waitForCompletion();
  expect(next.result).toBe(49);
  const elapsed = Date.now() - cancelled;
  expect(elapsed).toBeLessThan(GRACE_MS + 1000);
  if (forced) expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS);
  else expect(elapsed).toBeLessThan(GRACE_MS);
  expect(manager.threadCount).toBe(1);
  expect(job.state).toBe(BackgroundJobState.Canceled);
  expect(job.errorInfo).toBeUndefined();
}

describe('forced cancel in thread isolation (1C: Отменить stops even an endless loop)', () => {
  test('an endless synchronous loop is cancelled: its worker is terminated after the grace and replaced', async () => {
    const manager = onePool();
    const job = await manager.execute('Hazards.SpinForever');
    await eventually(() => expect(job.progress?.text).toBe('spinning'));
    await cancelAndExpectPoolBack(manager, job, true);
  });

  test('a job sleeping 60 s without looking at its signal is cancelled within the grace', async () => {
    const manager = onePool();
    const job = await manager.execute('Hazards.SleepIgnoringSignal', [60_000]);
    await eventually(() => expect(job.progress?.text).toBe('sleeping'));
    await cancelAndExpectPoolBack(manager, job, true);
  });

  test('a job sleeping 60 s that honours its signal stops at once, without termination', async () => {
    const manager = onePool();
    const job = await manager.execute('Jobs.ProgressThenWait', [0, 'sleeping']);
    await eventually(() => expect(job.progress?.text).toBe('sleeping'));
    await cancelAndExpectPoolBack(manager, job, false);
  });

  test('a job cancelled right after execute is Canceled and the pool stays whole', async () => {
    const manager = onePool();
    // A worker already up, so that the time measured is the cancel's, not a worker thread's start on a busy machine.
    await (await manager.execute('Hazards.Square', [2])).waitForCompletion();
    const job = await manager.execute('Hazards.SpinForever');
    // The cancel comes before the job reaches a worker, so nothing needs terminating.
    await cancelAndExpectPoolBack(manager, job, false);
  });

  test('a queued job cancelled before its turn never runs', async () => {
    const manager = onePool();
    const running = await manager.execute('Jobs.ProgressThenWait', [0, 'sleeping']);
    await eventually(() => expect(running.progress?.text).toBe('sleeping')); // its worker is up and holding it
    const file = path.join(tempDir(), 'ran');
    const queued = await manager.execute('Jobs.Touch', [file]);
    expect(queued.begin).toBeUndefined();
    queued.cancel();
    expect(queued.state).toBe(BackgroundJobState.Canceled);
    await cancelAndExpectPoolBack(manager, running, false);
    expect(existsSync(file)).toBe(false);
    expect(queued.begin).toBeUndefined();
  });
});

describe('crash isolation in thread isolation', () => {
  test.each([
    ['process.exit() in the handler', 'Hazards.Exit', [3], /exited with code 3 before the job finished/, {}],
    [
      'an uncaught exception in a timer',
      'Hazards.ThrowInTimer',
      ['boom in a timer'],
      /crashed with an uncaught exception: boom in a timer/,
      {},
    ],
    [
      'running out of memory under jobsWorkerMaxMemoryMb',
      'Hazards.Hog',
      [],
      /ran out of memory \(jobsWorkerMaxMemoryMb is 32\)/,
      { workerMaxMemoryMb: 32 },
    ],
  ])(
    "%s fails only its job, says what happened in the handler's terms, and 100 jobs after it complete",
    async (_case, method, params, description, options) => {
      const logger = recordingLogger();
      const manager = createManager({ isolation: 'thread', maxThreads: 2, logger, ...options });
      const neighbour = await manager.execute('Jobs.Sleep', [300]);
      const crashing = await manager.execute(method, params);
      await crashing.waitForCompletion().catch(() => undefined);
      expect(crashing.state).toBe(BackgroundJobState.Failed);
      expect(crashing.errorInfo).toMatchObject({
        code: 'WBJ_WORKER_CRASHED',
        description: expect.stringMatching(description),
      });
      // ИмяМодуля names the handler's module, or nothing: never the worker pool's own file.
      expect(['', 'Hazards.js']).toContain(crashing.errorInfo!.moduleName);
      expect(crashing.errorInfo!.detailedDescription).not.toContain('node_modules');
      expect(logger.lines.error).toEqual([expect.stringContaining(crashing.uuid)]);
      const after = await Promise.all(
        Array.from({ length: 100 }, (_, n) => manager.execute('Hazards.Square', [n])),
      );
      await manager.waitForCompletion([neighbour, ...after]);
      expect(neighbour.state).toBe(BackgroundJobState.Completed);
      expect(after.map((job) => job.result)).toEqual(Array.from({ length: 100 }, (_, n) => n * n));
      expect(manager.threadCount).toBe(2);
    },
  );

  test('the uncaught exception keeps its origin: errorInfo.cause points at the handler line', async () => {
    const manager = createManager({ isolation: 'thread' });
    const job = await manager.execute('Hazards.ThrowInTimer', ['located']);
    await job.waitForCompletion().catch(() => undefined);
    expect(job.errorInfo).toMatchObject({ moduleName: 'Hazards.js', cause: { description: 'located' } });
    expect(job.errorInfo!.sourceLine).toContain('throw new Error(text)');
  });

  test('a result that cannot cross back fails the job with WBJ_RESULT_NOT_CLONEABLE, and the worker lives on', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 1 });
    const job = await manager.execute('Hazards.Uncloneable');
    await job.waitForCompletion().catch(() => undefined);
    expect(job.errorInfo).toMatchObject({
      code: 'WBJ_RESULT_NOT_CLONEABLE',
      description: expect.stringMatching(
        /The job's result \(an object \(Object\)\) cannot be copied from its worker thread/,
      ),
    });
    const next = await manager.execute('Hazards.Square', [3]);
    await next.waitForCompletion();
    expect(next.result).toBe(9);
  });

  test('a result nested deeper than the main thread can rebuild fails the job with WBJ_RESULT_NOT_CLONEABLE instead of leaving it Active', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 1, handlers: FUZZ_HANDLERS });
    // Workers have a larger stack than the main thread: 10,000 levels serialize there and overflow here.
    const job = await manager.execute('Values.Build', [['deep', 10_000, 'array']]);
    await job.waitForCompletion(10).catch(() => undefined);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject({
      code: 'WBJ_RESULT_NOT_CLONEABLE',
      description: expect.stringMatching(
        /^The job's result cannot be copied from its worker thread: it nests too deeply to be copied \(Maximum call stack/,
      ),
    });
    const next = await manager.execute('Values.Build', [['json', 9]]);
    await next.waitForCompletion();
    expect(next.result).toBe(9);
  });

  test("a handler's own messages on the worker's parentPort are left alone", async () => {
    const manager = createManager({ isolation: 'thread' });
    const job = await manager.execute('Hazards.PostToParent');
    await job.waitForCompletion();
    expect(job.result).toBe('posted');
  });

  test('workers are reused between jobs: 20 jobs on a pool of 2 run on 2 threads', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 2 });
    expect(manager.threadCount).toBe(0); // the pool starts with the first job
    const jobs = await Promise.all(Array.from({ length: 20 }, () => manager.execute('Hazards.ThreadId')));
    await manager.waitForCompletion(jobs);
    expect(new Set(jobs.map((job) => job.result)).size).toBeLessThanOrEqual(2);
    expect(jobs.map((job) => job.result)).not.toContain(0); // 0 is the main thread
    expect(manager.threadCount).toBe(2);
  });
});
