import { BackgroundJobState } from 'web-background-jobs';
import { createManager, useRedisStore } from '../helpers';

// Executes of one tick go to Redis together: each still resolves with its own job or rejects with its own error.

describe('executes of one tick on a Redis store', () => {
  useRedisStore();

  test('100 executes with one key conflict among them: the other 99 run with the params they had at the call, in the order executed, and only the conflicting one rejects with WBJ_KEY_CONFLICT naming its key and the job holding it', async () => {
    const manager = createManager({ isolation: 'inline' });
    // Both handlers loaded first: a handler's first load would make its executes reach the store a tick later.
    await manager.waitForExecutionCompletion([
      await manager.execute('Jobs.Sleep', [0]),
      await manager.execute('Reports.Echo'),
    ]);
    const params = Array.from({ length: 100 }, (_, index) => ({ index }));
    const executes = params.map((param, index) => {
      if (index === 7) return manager.execute('Jobs.Sleep', [60_000], 'Held');
      if (index === 50) return manager.execute('Jobs.Sleep', [0], 'Held');
      return manager.execute('Reports.Echo', [param], `Key${index}`);
    });
    for (const param of params) param.index = -1; // after the call: the jobs keep what they were given
    const settled = await Promise.allSettled(executes);

    const conflict = settled[50];
    const holder = settled[7];
    if (holder.status !== 'fulfilled') throw holder.reason;
    expect(conflict).toMatchObject({
      status: 'rejected',
      reason: {
        code: 'WBJ_KEY_CONFLICT',
        message: expect.stringContaining(
          `background job ${holder.value.uuid} of method "Jobs.Sleep" with key "Held" is still active`,
        ),
      },
    });
    const started = settled.filter((each) => each !== conflict);
    const jobs = started.map((each) => {
      if (each.status !== 'fulfilled') throw each.reason;
      return each.value;
    });
    expect(new Set(jobs.map((job) => job.uuid)).size).toBe(99);
    expect(jobs.map((job) => job.key)).toEqual(
      params.flatMap((_, index) => (index === 50 ? [] : [index === 7 ? 'Held' : `Key${index}`])),
    );

    const echoes = jobs.filter((job) => job !== holder.value);
    await manager.waitForExecutionCompletion(echoes);
    expect(echoes.map((job) => [job.state, job.result])).toEqual(
      params.flatMap((_, index) =>
        index === 7 || index === 50 ? [] : [[BackgroundJobState.Completed, [{ index }]]],
      ),
    );
    const listed = (await manager.getBackgroundJobs()).filter((job) => job.key !== ''); // not the first two
    expect(listed.map((job) => job.uuid)).toEqual(jobs.map((job) => job.uuid));
    await holder.value.cancel();
  });
});
