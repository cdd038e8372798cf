import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

// A full collection on demand, so that the heap measured holds only what is still reachable.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function heapAfterCollecting(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

describeEachIsolation('waits that time out', (isolation) => {
  test('leave nothing attached to a job still running: 10,000 more of them do not grow the heap', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Forever');
    // Each kind of wait, timing out at once on a job that runs on (БСП polls a long job so, once a second).
    const waits = (count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, index) => {
          if (index % 3 === 0) return job.waitForExecutionCompletion(0);
          if (index % 3 === 1) return manager.waitForAny([job], 0);
          return manager.waitForCompletion([job], 0).catch((error: { code: string }) => error.code);
        }),
      );
    await waits(1_000); // the first ones grow the heap whether they leak or not: compiled code, larger tables
    const before = heapAfterCollecting();
    const answers = await waits(10_000);
    const grown = heapAfterCollecting() - before;
    expect(answers.filter((answer) => answer === 'WBJ_WAIT_TIMEOUT')).toHaveLength(3_333);
    expect(job.state).toBe(BackgroundJobState.Active);
    // About 2 KB a wait when each leaves a reaction on the job: 20 MB. Nothing left behind: within collector noise.
    expect(grown).toBeLessThan(2_000_000);
    await job.cancel();
  });
});
