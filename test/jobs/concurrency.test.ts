import { existsSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, tempDir } from '../helpers';

describeEachIsolation('the concurrency limit (jobsMaxConcurrency)', (isolation) => {
  test('jobs over the limit wait Active, without begin, and start first in, first out', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const first = await manager.execute('Jobs.Sleep', [300]);
    const second = await manager.execute('Jobs.Sleep', [5]);
    const third = await manager.execute('Jobs.Sleep', [5]);
    expect([first, second, third].map((job) => job.state)).toEqual(Array(3).fill(BackgroundJobState.Active));
    await eventually(() => expect(first.begin).toBeInstanceOf(Date)); // on Redis, once a worker takes it
    expect(second.begin).toBeUndefined();
    expect(third.begin).toBeUndefined();
    await manager.waitForCompletion([first, second, third]);
    expect(second.begin!.getTime()).toBeGreaterThanOrEqual(first.end!.getTime());
    expect(third.begin!.getTime()).toBeGreaterThanOrEqual(second.end!.getTime());
  });

  test('a queued job cancelled before its turn is skipped and never runs', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const first = await manager.execute('Jobs.Sleep', [300]);
    const file = path.join(tempDir(), 'ran');
    const queued = await manager.execute('Jobs.Touch', [file]);
    const last = await manager.execute('Jobs.Sleep', [1]);
    await queued.cancel();
    expect(queued.state).toBe(BackgroundJobState.Canceled);
    await manager.waitForCompletion([first, last]);
    expect(existsSync(file)).toBe(false);
    expect(queued.begin).toBeUndefined();
    expect(last.state).toBe(BackgroundJobState.Completed);
  });

  test('a queued job is listed, found and awaited like a running one', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const first = await manager.execute('Jobs.Forever');
    const queued = await manager.execute('Reports.Build', [2, 'q'], 'K');
    expect(await manager.getBackgroundJobs({ state: BackgroundJobState.Active })).toEqual([first, queued]);
    expect(await manager.findByUUID(queued.uuid)).toBe(queued);
    await expect(manager.execute('Reports.Build', [], 'K')).rejects.toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
    });
    await first.cancel();
    await queued.waitForCompletion();
    expect(queued.result).toBe('2:q');
  });

  test('a failing job frees its slot for the next one', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const failing = await manager.execute('Jobs.Fail', ['first fails']);
    const next = await manager.execute('Reports.Build', [1, 'b']);
    await next.waitForCompletion();
    expect(failing.state).toBe(BackgroundJobState.Failed);
    expect(next.result).toBe('1:b');
  });

  test('1,000 jobs through a limit of 3 all complete', async () => {
    const manager = createManager({ isolation, maxConcurrency: 3, maxThreads: 3 });
    const jobs = await Promise.all(
      Array.from({ length: 1000 }, (_, n) => manager.execute('Reports.Echo', [n])),
    );
    await manager.waitForCompletion(jobs);
    expect(jobs.map((job) => (job.result as number[])[0])).toEqual(Array.from({ length: 1000 }, (_, n) => n));
  });
});

test('by default inline isolation runs every job at once, and thread isolation as many as there are threads', async () => {
  const inline = createManager({ isolation: 'inline' });
  const thread = createManager({ isolation: 'thread', maxThreads: 2 });
  expect(inline.settings.maxConcurrency).toBe(Infinity);
  expect(thread.settings.maxConcurrency).toBe(2);
  const inlineJobs = await Promise.all(Array.from({ length: 50 }, () => inline.execute('Jobs.Sleep', [10])));
  expect(inlineJobs.every((job) => job.begin !== undefined)).toBe(true);
  const threadJobs = await Promise.all(Array.from({ length: 3 }, () => thread.execute('Jobs.Sleep', [10])));
  expect(threadJobs.map((job) => job.begin !== undefined)).toEqual([true, true, false]);
  await Promise.all([inline.waitForCompletion(inlineJobs), thread.waitForCompletion(threadJobs)]);
});
