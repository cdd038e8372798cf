import { BackgroundJobState, BackgroundJobsWaitError } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

describeEachIsolation('waits', (isolation) => {
  test('are event-driven: a wait ends when the jobs do, not on a jobsCheckInterval tick', async () => {
    // With a ten-minute check interval a polling wait would outlast the test's time limit.
    const manager = createManager({ isolation, checkInterval: 600_000 });
    const jobs = await Promise.all([5, 10, 15].map((ms) => manager.execute('Jobs.Sleep', [ms])));
    await manager.waitForCompletion(jobs);
    expect(jobs.map((job) => job.state)).toEqual(Array(3).fill(BackgroundJobState.Completed));
  });

  test('several jobs then wait for all of them (the seed example)', async () => {
    const manager = createManager({ isolation });
    await manager.execute('Reports.Build', [1, '1.txt'], 'Key1', 'Description1');
    await manager.execute('Reports.Build', [1, '2.txt']);
    const jobs = await manager.getBackgroundJobs();
    await manager.waitForCompletion(jobs);
    expect(jobs.map((job) => job.result)).toEqual(['1:1.txt', '1:2.txt']);
  });

  test('waitForCompletion with no list waits for every active job', async () => {
    const manager = createManager({ isolation });
    const jobs = await Promise.all([manager.execute('Jobs.Sleep', [5]), manager.execute('Jobs.Sleep', [10])]);
    await manager.waitForCompletion();
    expect(jobs.every((job) => job.state === BackgroundJobState.Completed)).toBe(true);
  });

  test('waitForCompletion rejects after all finished, listing the failed jobs and their errors', async () => {
    const manager = createManager({ isolation });
    const good = await manager.execute('Jobs.Sleep', [20]);
    const bad = await manager.execute('Jobs.Fail', ['report failed']);
    const error = await manager.waitForCompletion([good, bad]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackgroundJobsWaitError);
    expect(error).toMatchObject({ code: 'WBJ_JOBS_FAILED', jobs: [bad] });
    expect((error as Error).message).toContain(`${bad.uuid} (Jobs.Fail): report failed`);
    expect(good.state).toBe(BackgroundJobState.Completed);
  });

  test('waitForCompletion rejects on timeout, naming the unfinished jobs', async () => {
    const manager = createManager({ isolation });
    const quick = await manager.execute('Jobs.Sleep', [1]);
    const slow = await manager.execute('Jobs.Forever', [], 'slow-key');
    await quick.waitForCompletion();
    const error = await manager.waitForCompletion([quick, slow], 0.05).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'WBJ_WAIT_TIMEOUT', jobs: [slow] });
    expect((error as Error).message).toContain(`${slow.uuid} (Jobs.Forever, key "slow-key")`);
    expect(slow.state).toBe(BackgroundJobState.Active);
    await slow.cancel();
  });

  test('a cancelled job ends a wait without counting as a failure', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Forever');
    const waiting = manager.waitForCompletion([job]);
    await job.cancel();
    await expect(waiting).resolves.toBeUndefined();
  });

  test('job.waitForCompletion follows the same rules', async () => {
    const manager = createManager({ isolation });
    const failing = await manager.execute('Jobs.Fail', ['own failure']);
    await expect(failing.waitForCompletion()).rejects.toMatchObject({
      code: 'WBJ_JOBS_FAILED',
      jobs: [failing],
    });
    const forever = await manager.execute('Jobs.Forever');
    await expect(forever.waitForCompletion(0.01)).rejects.toMatchObject({ code: 'WBJ_WAIT_TIMEOUT' });
    await forever.cancel();
  });

  test('waitForExecutionCompletion never rejects: it returns the jobs finished by the timeout', async () => {
    const manager = createManager({ isolation });
    const failed = await manager.execute('Jobs.Fail', ['x']);
    const done = await manager.execute('Jobs.Sleep', [1]);
    const forever = await manager.execute('Jobs.Forever');
    await failed.waitForCompletion().catch(() => undefined);
    await done.waitForCompletion();
    await expect(manager.waitForExecutionCompletion([failed, done, forever], 0.02)).resolves.toEqual([
      failed,
      done,
    ]);
    await forever.cancel();
    await expect(manager.waitForExecutionCompletion([failed, done, forever])).resolves.toEqual([
      failed,
      done,
      forever,
    ]);
  });

  test.each([
    [
      'a job instead of a list',
      (m: ReturnType<typeof createManager>, job: unknown) => m.waitForCompletion(job as never),
      /expects an array of background jobs, got an object \(BackgroundJob\)/,
    ],
    [
      'a list holding a string',
      (m: ReturnType<typeof createManager>) => m.waitForCompletion(['abc'] as never),
      /jobs\[0\] is "abc"/,
    ],
    [
      'a negative timeout',
      (m: ReturnType<typeof createManager>, job: unknown) => m.waitForCompletion([job] as never, -1),
      /timeout must be a number of seconds.*got -1/,
    ],
    [
      'a timeout in text',
      (m: ReturnType<typeof createManager>, job: unknown) =>
        m.waitForExecutionCompletion([job] as never, '5' as never),
      /got "5"/,
    ],
    [
      'an infinite timeout',
      (m: ReturnType<typeof createManager>, job: unknown) => m.waitForCompletion([job] as never, Infinity),
      /got Infinity/,
    ],
  ])('a wait given %s is refused with WBJ_BAD_ARGUMENT', async (_case, wait, message) => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Sleep', [1]);
    await expect(wait(manager, job)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringMatching(message),
    });
    await job.waitForCompletion();
  });
});
