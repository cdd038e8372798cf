import { BackgroundJobState, type BackgroundJobsManager } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, useRedisStore } from '../helpers';

// OneScript's МенеджерФоновыхЗаданий.Очистить: forget the jobs that have ended. Ours keeps the active ones, which
// are still running and still hold their keys.

/**
 * Clears until the history holds just `uuids`. In memory the first clear does it. On Redis a job whose cancel has
 * just been decided leaves BullMQ's active jobs (so that it can be removed) once its worker has stored its end.
 */
async function clearedTo(
  manager: BackgroundJobsManager,
  clear: () => Promise<void>,
  uuids: string[],
): Promise<void> {
  await eventually(async () => {
    await clear();
    expect((await manager.getBackgroundJobs()).map((job) => job.uuid)).toEqual(uuids);
  });
}

describeEachIsolation('clear()', (isolation) => {
  test('removes every finished job from history and keeps the active ones', async () => {
    const manager = createManager({ isolation });
    const done = await manager.execute('Jobs.Sleep', [1]);
    const failed = await manager.execute('Jobs.Fail', ['gone']);
    const canceled = await manager.execute('Jobs.Forever');
    await canceled.cancel();
    await manager.waitForExecutionCompletion([done, failed, canceled]);
    const running = await manager.execute('Jobs.Forever', [], 'held');
    await clearedTo(manager, () => manager.Очистить(), [running.uuid]);
    for (const job of [done, failed, canceled]) expect(await manager.findByUUID(job.uuid)).toBeUndefined();
    expect((await manager.findByUUID(running.uuid))?.state).toBe(BackgroundJobState.Active);
    // The jobs already in hand keep what they said.
    expect([done.state, failed.state, canceled.state]).toEqual(['Completed', 'Failed', 'Canceled']);
    await expect(manager.execute('Jobs.Forever', [], 'held')).rejects.toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
    });
    await running.cancel();
    await clearedTo(manager, () => manager.Clear(), []);
  });
});

describe('clear() on a Redis store', () => {
  useRedisStore();

  test('clears the history every instance shares, whichever instance ran the jobs', async () => {
    const worker = createManager({ isolation: 'inline' });
    const web = createManager({ queueName: worker.settings.queueName, worker: false });
    const ranThere = await worker.execute('Jobs.Sleep', [1]);
    const addedHere = await web.execute('Reports.Echo', ['x']);
    await web.waitForExecutionCompletion([addedHere]);
    await worker.waitForExecutionCompletion([ranThere]);
    expect(await worker.getBackgroundJobs()).toHaveLength(2);
    await web.clear();
    expect(await worker.getBackgroundJobs()).toHaveLength(0);
    expect(await worker.findByUUID(addedHere.uuid)).toBeUndefined();
    expect(await web.findByUUID(ranThere.uuid)).toBeUndefined();
  });
});
