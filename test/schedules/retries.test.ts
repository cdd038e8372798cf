import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually } from '../helpers';
import { startClock } from './clock';
import { failingOnce, logged, onceIn } from './failing';

// 1C: КоличествоПовторовПриАварийномЗавершении and ИнтервалПовтораПриАварийномЗавершении: a run of a scheduled job
// that fails is started again after the interval, up to the count; each retry is a background job of its own.
jest.setTimeout(40_000);

describeEachIsolation('retries of a failed scheduled run', (isolation) => {
  test('a run that keeps failing is retried restartCountOnFailure times, each retry a run of its own in history', async () => {
    const manager = createManager({ isolation });
    const { scheduled, file } = await failingOnce(manager, 99, {
      restartCountOnFailure: 2,
      restartIntervalOnFailure: 1,
    });
    await eventually(() => expect(logged(file)).toHaveLength(3), 20_000);
    await eventually(async () => {
      const runs = await manager.getBackgroundJobs({ scheduledJob: scheduled });
      expect(runs.map((run) => run.state)).toEqual(Array(3).fill(BackgroundJobState.Failed));
      expect(runs.map((run) => run.uuid)).toEqual(logged(file));
      expect(runs.map((run) => run.scheduledJob?.uuid)).toEqual(Array(3).fill(scheduled.uuid));
    });
    const [first, second] = await manager.getBackgroundJobs({ scheduledJob: scheduled });
    // Each retry waits the interval after the failure before it.
    expect(second.begin!.getTime() - first.end!.getTime()).toBeGreaterThanOrEqual(990);
    await (
      await startClock(manager)
    )(3); // past the 1 s interval of a third retry that must not come
    expect(logged(file)).toHaveLength(3);
  });

  test('a retry that succeeds ends the series', async () => {
    const manager = createManager({ isolation });
    const { scheduled, file } = await failingOnce(manager, 1, {
      restartCountOnFailure: 5,
      restartIntervalOnFailure: 0,
    });
    await eventually(async () => {
      const runs = await manager.getBackgroundJobs({ scheduledJob: scheduled });
      expect(runs.map((run) => run.state)).toEqual([BackgroundJobState.Failed, BackgroundJobState.Completed]);
    }, 20_000);
    await (
      await startClock(manager)
    )(2); // a retry after the success would have come at once (interval 0)
    expect(logged(file)).toHaveLength(2);
  });

  test('a run started before the retry is due (by runNow or the schedule) ends the series: the retry is dropped', async () => {
    const manager = createManager({ isolation });
    const { scheduled, file } = await failingOnce(manager, 99, {
      restartCountOnFailure: 3,
      restartIntervalOnFailure: 3,
    });
    await eventually(() => expect(logged(file)).toHaveLength(1), 20_000);
    await eventually(async () => {
      const [failed] = await manager.getBackgroundJobs({ scheduledJob: scheduled });
      expect(failed.state).toBe(BackgroundJobState.Failed);
    });
    const manual = await scheduled.runNow();
    await manual.waitForCompletion().catch(() => undefined);
    await (
      await startClock(manager)
    )(5); // past the 3 s interval of the dropped retry
    expect(logged(file)).toEqual([expect.any(String), manual.uuid]);
  });

  test('without restartCountOnFailure a failed run is not retried', async () => {
    const manager = createManager({ isolation });
    const { file } = await failingOnce(manager, 99, {});
    await eventually(() => expect(logged(file)).toHaveLength(1), 20_000);
    await (
      await startClock(manager)
    )(2); // a retry would have come at once (interval 0)
    expect(logged(file)).toHaveLength(1);
  });

  test('a cancelled run is not retried: only a failure is', async () => {
    const manager = createManager({ isolation });
    const scheduled = manager.scheduledJobs.create({
      name: 'Endless',
      methodName: 'Jobs.Forever',
      schedule: onceIn(3),
      restartCountOnFailure: 3,
      restartIntervalOnFailure: 0,
    });
    await scheduled.write();
    let run: Awaited<ReturnType<typeof manager.getBackgroundJobs>>[number] | undefined;
    await eventually(async () => {
      [run] = await manager.getBackgroundJobs({ scheduledJob: scheduled });
      expect(run?.state).toBe(BackgroundJobState.Active);
    }, 20_000);
    await run!.cancel();
    await (
      await startClock(manager)
    )(2); // a retry of a failure would have come at once (interval 0)
    const runs = await manager.getBackgroundJobs({ scheduledJob: scheduled });
    expect(runs.map((each) => each.state)).toEqual([BackgroundJobState.Canceled]);
  });

  test('close() drops a retry still to come', async () => {
    const manager = createManager({ isolation });
    const { file } = await failingOnce(manager, 99, {
      restartCountOnFailure: 1,
      restartIntervalOnFailure: 1,
    });
    await eventually(() => expect(logged(file)).toHaveLength(1), 20_000);
    const ticks = await startClock(createManager({ isolation }));
    await manager.close();
    await ticks(3); // past the 1 s interval of the dropped retry
    expect(logged(file)).toHaveLength(1);
  });

  test('restartCountOnFailure and restartIntervalOnFailure are checked when assigned, and refused beyond their range', () => {
    const job = createManager({ isolation }).scheduledJobs.create({
      name: 'Checked',
      methodName: 'Reports.Build',
      schedule: { cron: '0 0 1 1 *' },
    });
    expect([job.restartCountOnFailure, job.restartIntervalOnFailure]).toEqual([0, 0]);
    expect(() => {
      job.КоличествоПовторовПриАварийномЗавершении = -1;
    }).toThrow(
      'Scheduled job "Checked": restartCountOnFailure must be a whole number from 0 to 1000, got -1',
    );
    expect(() => {
      job.ИнтервалПовтораПриАварийномЗавершении = '10' as unknown as number;
    }).toThrow('restartIntervalOnFailure must be a whole number from 0 to 2147483, got "10"');
    job.ИнтервалПовтораПриАварийномЗавершении = 10;
    expect(job.restartIntervalOnFailure).toBe(10);
  });
});
