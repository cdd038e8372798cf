import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

describeEachIsolation('history (unlike the seed, finished jobs stay findable)', (isolation) => {
  test('a finished job is still found by UUID and listed', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Reports.Build', [1, 'a']);
    await job.waitForCompletion();
    expect(await manager.findByUUID(job.uuid)).toBe(job);
    expect(await manager.getBackgroundJobs()).toEqual([job]);
  });

  test('beyond jobsHistorySize the oldest finished jobs are evicted first', async () => {
    const manager = createManager({ isolation, historySize: 2 });
    const jobs = [];
    for (const name of ['a', 'b', 'c']) {
      const job = await manager.execute('Reports.Build', [1, name]);
      await job.waitForCompletion();
      jobs.push(job);
    }
    expect(await manager.findByUUID(jobs[0].uuid)).toBeUndefined();
    expect(await manager.getBackgroundJobs()).toEqual([jobs[1], jobs[2]]);
  });

  test('active jobs are never evicted, however many jobs finish', async () => {
    const manager = createManager({ isolation, historySize: 1 });
    const longJob = await manager.execute('Jobs.Forever');
    for (let index = 0; index < 5; index += 1) {
      await (await manager.execute('Reports.Build', [index, 'x'])).waitForCompletion();
    }
    expect(await manager.findByUUID(longJob.uuid)).toBe(longJob);
    expect(await manager.getBackgroundJobs({ state: BackgroundJobState.Active })).toEqual([longJob]);
    expect(await manager.getBackgroundJobs()).toHaveLength(2);
    await longJob.cancel();
  });

  test('jobsHistorySize 0 forgets a job as soon as it finishes, like the seed', async () => {
    const manager = createManager({ isolation, historySize: 0 });
    const job = await manager.execute('Reports.Build', [1, 'a']);
    expect(await manager.findByUUID(job.uuid)).toBe(job);
    await job.waitForCompletion();
    expect(await manager.findByUUID(job.uuid)).toBeUndefined();
    expect(job.state).toBe(BackgroundJobState.Completed);
  });

  test('findByUUID ignores the case of the UUID and returns undefined for an unknown one', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Reports.Build', [1, 'a']);
    expect(await manager.findByUUID(job.uuid.toUpperCase())).toBe(job);
    expect(await manager.findByUUID('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  test.each([['not-a-uuid'], [42], [undefined]])('findByUUID(%p) is refused as not a UUID', async (value) => {
    const manager = createManager({ isolation });
    await expect(manager.findByUUID(value as string)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining('expects a UUID string'),
    });
  });
});
