import type { ScheduledRunEvent, ScheduledSkipEvent } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually } from '../helpers';

// A scheduled job's runs and skips are events too: `scheduled-run` names the run's job, `scheduled-skip` says why a
// due run did not start, with the same stable reason whatever the store.
jest.setTimeout(30_000);

/** A schedule that will not fire during a test: runs come from runNow() only. */
const NEVER = { cron: '0 0 1 1 *' };

describeEachIsolation('scheduled job events', (isolation) => {
  test('runNow() is heard as scheduled-run naming the scheduled job and the run started', async () => {
    const manager = createManager({ isolation });
    const runs: ScheduledRunEvent[] = [];
    manager.on('scheduled-run', (event) => runs.push(event));
    const scheduled = manager.scheduledJobs.create({
      name: 'Report',
      methodName: 'Reports.Build',
      params: [1, 'x'],
      schedule: NEVER,
    });
    await scheduled.write();
    const run = await scheduled.runNow();
    expect(runs).toEqual([
      { scheduledJob: { uuid: scheduled.uuid, name: 'Report' }, jobUuid: run.uuid, at: expect.any(Date) },
    ]);
  });

  test("a due run skipped while the previous run is active is heard as scheduled-skip with reason 'running'", async () => {
    const manager = createManager({ isolation });
    const skips: ScheduledSkipEvent[] = [];
    const runs: ScheduledRunEvent[] = [];
    manager.on('scheduled-skip', (event) => skips.push(event));
    manager.on('scheduled-run', (event) => runs.push(event));
    const scheduled = manager.scheduledJobs.create({
      name: 'Endless',
      methodName: 'Jobs.Forever',
      schedule: { cron: '* * * * * *' },
    });
    await scheduled.write();
    await eventually(() => expect(skips.length).toBeGreaterThan(0), 10_000);
    expect(skips[0]).toEqual({
      scheduledJob: { uuid: scheduled.uuid, name: 'Endless' },
      reason: 'running',
      detail: expect.stringMatching(/Scheduled job "Endless" skipped its run due at .* is still active/),
      at: expect.any(Date),
    });
    expect(runs).toHaveLength(1);
    await scheduled.delete();
  });
});
