import type { BackgroundJob } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

interface Level {
  readonly level: number;
  readonly child?: string;
  readonly refused?: { readonly code: string; readonly message: string };
}

describeEachIsolation('jobs started from jobs', (isolation) => {
  test('nest at most 100 levels: a job that starts itself stops there, its execute refused with WBJ_NESTING_TOO_DEEP naming the depth', async () => {
    const manager = createManager({ isolation });
    let job: BackgroundJob | undefined = await manager.execute('Nesting.Deeper', [1]);
    const levels: Level[] = [];
    // Down the chain, each job found by the UUID its parent returned; one level past the limit is enough to see.
    while (job !== undefined && levels.length <= 100) {
      await job.waitForCompletion();
      const level = job.result as Level;
      levels.push(level);
      job = level.child === undefined ? undefined : await manager.findByUUID(level.child);
    }
    expect(levels.map(({ level }) => level)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    expect(levels.slice(0, 99).every(({ child }) => child !== undefined)).toBe(true);
    expect(levels[99]!.refused).toEqual({
      code: 'WBJ_NESTING_TOO_DEEP',
      message: expect.stringMatching(
        /^execute\("Nesting\.Deeper"\) was called from background job [0-9a-f-]{36} \(Nesting\.Deeper\), which is 100 levels deep in jobs started from jobs: they nest at most 100 levels/,
      ),
    });
    expect(await manager.getBackgroundJobs({ methodName: 'Nesting.Deeper' })).toHaveLength(100);
  });
});
