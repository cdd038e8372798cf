import path from 'node:path';
import { BackgroundJobState, type FailedEvent } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, tempDir } from '../helpers';

// Review of issue 19 (events, retries and delays): defects found by trying the promises in each mode.
jest.setTimeout(40_000);

describeEachIsolation('issue 19 review: retries heard as events', (isolation) => {
  test('a failed attempt that runs again is heard failed with the run time of that attempt, not 0', async () => {
    const manager = createManager({ isolation });
    const failed: FailedEvent[] = [];
    manager.on('failed', (payload) => void failed.push(payload));
    // Its first attempt runs until its time limit of 1 s stops it, and then runs again.
    const job = await manager.execute('Retries.SlowTimes', [path.join(tempDir(), 'attempts'), 1], '', '', {
      attempts: 2,
      timeoutSeconds: 1,
    });
    await job.waitForCompletion(30);
    expect(job.state).toBe(BackgroundJobState.Completed);
    await eventually(() => expect(failed).toHaveLength(1));
    expect(failed[0]).toMatchObject({ uuid: job.uuid, attempt: 1, willRetry: true });
    expect(failed[0]!.runSeconds).toBeGreaterThanOrEqual(0.9);
  });
});
