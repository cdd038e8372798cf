import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createManager, useRedisStore } from '../helpers';

/** The nice value of this process's main thread (the event loop), as the kernel keeps it. */
function eventLoopNice(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

// The nice value is per thread on Linux only: elsewhere the setting does nothing (and is not tested here).
const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('jobsWorkerNice: worker threads run below the event loop’s CPU priority (Linux)', () => {
  test('by default a job’s worker thread runs 10 nice steps below the event loop, which keeps its own', async () => {
    const before = eventLoopNice();
    const manager = createManager({ isolation: 'thread', maxThreads: 2 });
    const jobs = await Promise.all([0, 1].map(() => manager.execute('Priority.ThreadNice')));
    await manager.waitForCompletion(jobs);
    for (const job of jobs) expect(job.result).toBe(Math.min(19, before + 10));
    expect(eventLoopNice()).toBe(before);
    expect(os.getPriority()).toBe(before);
  });

  test.each([0, 3, 19])(
    'workerNice %p puts the worker threads that many steps below, up to nice 19',
    async (steps) => {
      const manager = createManager({ isolation: 'thread', maxThreads: 1, workerNice: steps });
      const job = await manager.execute('Priority.ThreadNice');
      await job.waitForCompletion();
      expect(job.result).toBe(Math.min(19, eventLoopNice() + steps));
    },
  );

  test('a worker replaced after a crash runs at the lowered priority too', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 1, workerNice: 7 });
    const crash = await manager.execute('Hazards.Exit', [3]);
    await expect(crash.waitForCompletion()).rejects.toMatchObject({ code: 'WBJ_JOBS_FAILED' });
    const job = await manager.execute('Priority.ThreadNice');
    await job.waitForCompletion();
    expect(job.result).toBe(Math.min(19, eventLoopNice() + 7));
  });
});

onLinux('jobsWorkerNice on a Redis store (Linux)', () => {
  useRedisStore();

  test('a thread job taken from Redis runs 10 nice steps below the event loop by default', async () => {
    const manager = createManager({ isolation: 'thread', maxThreads: 1 });
    const job = await manager.execute('Priority.ThreadNice');
    await job.waitForCompletion();
    expect(job.result).toBe(Math.min(19, eventLoopNice() + 10));
  });
});
