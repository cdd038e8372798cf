// The pool of worker threads of thread isolation, between jobs: what a finished job leaves behind in its worker runs
// there while it is idle, a worker that dies idle is said and replaced, and jobs beyond the threads wait their turn.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { BackgroundJobState, registerMetrics } from 'web-background-jobs';
import { parseExposition, sampleValue } from '../metrics/exposition';
import { createManager, eventually, tempDir } from '../helpers';

/** A one-thread pool whose crashes are counted in a registry of its own, and whose error lines keep their error. */
function onePool() {
  const errors: string[] = [];
  const logger = {
    warn: () => undefined,
    error: (line: string, error?: unknown) => errors.push(`${line} ${String(error)}`),
  };
  const manager = createManager({ isolation: 'thread', maxThreads: 1, logger });
  const registry = registerMetrics(manager, { registry: new Registry() }) as Registry;
  const crashes = async () =>
    sampleValue(parseExposition(await registry.metrics()), 'wbj_worker_crashes_total');
  return { manager, errors, crashes };
}

describe('a worker thread between jobs', () => {
  test('a timer its finished job left behind runs while the worker is idle, not inside the next job', async () => {
    const { manager } = onePool();
    const file = path.join(tempDir(), 'touched');
    const job = await manager.execute('Leftovers.TouchAfterEnd', [file, 20]);
    await job.waitForCompletion();
    expect(job.result).toBe('returned');
    await eventually(() => expect(existsSync(file)).toBe(true)); // no other job runs to give the worker a turn
  });

  test('an uncaught exception while no job runs on it is logged and counted, never thrown, and the worker replaced', async () => {
    const { manager, errors, crashes } = onePool();
    const job = await manager.execute('Leftovers.ThrowAfterEnd', ['thrown while idle', 20]);
    await job.waitForCompletion();
    expect(job.state).toBe(BackgroundJobState.Completed); // its job had ended: the crash is not its failure
    await eventually(async () => expect(await crashes()).toBe(1));
    expect(errors).toEqual([
      expect.stringMatching(
        /A worker thread crashed while no job was running on it:[\s\S]*thrown while idle/,
      ),
    ]);
    const next = await manager.execute('Hazards.Square', [5]);
    await next.waitForCompletion();
    expect(next.result).toBe(25);
    expect(manager.threadCount).toBe(1);
  });

  test('process.exit() while no job runs on it is logged with the exit code and counted, and the worker replaced', async () => {
    const { manager, errors, crashes } = onePool();
    const job = await manager.execute('Leftovers.ExitAfterEnd', [7, 20]);
    await job.waitForCompletion();
    await eventually(async () => expect(await crashes()).toBe(1));
    expect(errors).toEqual([
      expect.stringMatching(
        /A worker thread crashed while no job was running on it:[\s\S]*exited with code 7/,
      ),
    ]);
    const next = await manager.execute('Hazards.Square', [6]);
    await next.waitForCompletion();
    expect(next.result).toBe(36);
    expect(manager.threadCount).toBe(1);
  });
});

describe('workers that cannot serve', () => {
  test('with a memory limit too small for any worker each job fails WBJ_WORKER_CRASHED, and the idle pool does not start and lose workers in a loop', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 2, workerMaxMemoryMb: 2 });
    for (const n of [1, 2]) {
      const job = await manager.execute('Hazards.Square', [n]);
      await expect(job.waitForCompletion()).rejects.toMatchObject({ code: 'WBJ_JOBS_FAILED' });
      expect(job.errorInfo?.code).toBe('WBJ_WORKER_CRASHED');
      expect(job.errorInfo?.description).toMatch(/ran out of memory \(jobsWorkerMaxMemoryMb is 2\)/);
      // Workers that die before they are ready are started again for a job, not at once: the pool empties.
      await eventually(() => expect(manager.threadCount).toBe(0));
    }
  });

  test('a cancelled handler blocked in a native call gives its worker up at once: the next job runs, and close() settles, before the call returns', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 1, cancelGraceMs: 100 });
    const blocked = await manager.execute('Hazards.BlockNatively', [20]);
    const next = await manager.execute('Hazards.Square', [7]); // queued behind it: one thread
    await eventually(() => expect(blocked.begin).toBeDefined());
    await blocked.cancel();
    await next.waitForCompletion(15); // before the fix: only once the 20 s call returned
    expect(next.result).toBe(49);
    expect(blocked.state).toBe(BackgroundJobState.Canceled);
    const another = await manager.execute('Hazards.BlockNatively', [20]);
    await eventually(() => expect(another.begin).toBeDefined());
    await manager.close({ graceSeconds: 0 }); // the test's own timeout is shorter than the call
    expect(another.state).toBe(BackgroundJobState.Canceled);
  });
});
