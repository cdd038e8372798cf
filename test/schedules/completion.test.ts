import { type BackgroundJob, BackgroundJobState, BackgroundJobsManager } from 'web-background-jobs';
import {
  attachingConfig,
  createManager,
  describeEachIsolation,
  eventually,
  HANDLERS,
  recordingLogger,
} from '../helpers';

// 1C's ВремяЗавершения and ИнтервалЗавершения: a run of a scheduled job still active then is cancelled, with a
// warning naming the job and its schedule. With real runs, in memory and on Redis.
jest.setTimeout(30_000);

/** A time zone where the clocks read between 06:00 and 18:00 now, so a time a few seconds ahead is the same day. */
function midDayZone(): string {
  return new Date().getUTCHours() < 12 ? 'Etc/GMT-6' : 'Etc/GMT+6';
}

/** `HH:MM:SS` in `zone`, `seconds` from now. */
function clockIn(zone: string, seconds: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, timeStyle: 'medium', hourCycle: 'h23' }).format(
    Date.now() + seconds * 1000,
  );
}

describeEachIsolation('a run still active at its completion time is cancelled', (isolation) => {
  async function endless(schedule: Record<string, unknown>) {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    const scheduled = manager.scheduledJobs.create({ name: 'Endless', methodName: 'Jobs.Forever', schedule });
    await scheduled.write();
    const cancelled = async () => {
      const runs = await manager.getBackgroundJobs({ scheduledJob: scheduled });
      const run = runs.find((each) => each.state === BackgroundJobState.Canceled);
      expect(run).toBeDefined();
      return run!;
    };
    let run: Awaited<ReturnType<typeof cancelled>> | undefined;
    await eventually(async () => {
      run = await cancelled();
    }, 15_000);
    return { logger, run: run! };
  }

  test('completionInterval (1C: ИнтервалЗавершения) cancels it that many seconds after it started', async () => {
    const { logger, run } = await endless({ repeatPeriodSeconds: 1, completionInterval: 1 });
    expect(run.end!.getTime() - run.begin!.getTime()).toBeGreaterThanOrEqual(1000);
    expect(logger.lines.warn).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `Scheduled job "Endless": run ${run.uuid} was still active at its schedule's completion time .*\\(schedule: Every day; every 1 seconds, complete in 1 seconds\\), so it is cancelled`,
        ),
      ),
    );
  });

  test("completionInterval counts from the run's start: a run queued behind another job is cancelled an interval after it began, not after it was due", async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const blocker = await manager.execute('Jobs.Sleep', [2500]);
    const scheduled = manager.scheduledJobs.create({
      name: 'Queued',
      methodName: 'Jobs.Forever',
      schedule: { repeatPeriodSeconds: 1, completionInterval: 1 },
    });
    await scheduled.write();
    let run: BackgroundJob | undefined;
    await eventually(async () => {
      const runs = await manager.getBackgroundJobs({
        scheduledJob: scheduled,
        state: BackgroundJobState.Canceled,
      });
      expect(runs).toHaveLength(1);
      run = runs[0];
    }, 20_000);
    await blocker.waitForCompletion();
    expect(run!.begin!.getTime()).toBeGreaterThanOrEqual(blocker.end!.getTime());
    expect(run!.end!.getTime() - run!.begin!.getTime()).toBeGreaterThanOrEqual(1000);
  });

  test('completionTime (1C: ВремяЗавершения) cancels it at that time of day', async () => {
    const zone = midDayZone();
    const completionTime = clockIn(zone, 3);
    const { logger, run } = await endless({ repeatPeriodSeconds: 1, completionTime, timezone: zone });
    expect(run.end!.getTime()).toBeGreaterThanOrEqual(run.begin!.getTime());
    expect(logger.lines.warn.join('\n')).toContain(`complete after ${completionTime.replace(/^0/, '')}`);
  });
});

describe('completion timers', () => {
  afterEach(() => jest.useRealTimers());

  /** On a fake clock, a scheduled job whose one run (at 10:00:01) never ends on its own; returns that run. */
  async function runningForAnHour(manager: BackgroundJobsManager) {
    const scheduled = manager.scheduledJobs.create({
      name: 'Endless',
      methodName: 'Jobs.Forever',
      schedule: { beginTime: '10:00:01', completionInterval: 3600, timezone: 'UTC' },
    });
    await scheduled.write();
    await jest.advanceTimersByTimeAsync(2000);
    const runs = await manager.getBackgroundJobs({ scheduledJob: scheduled });
    expect(runs.map((run) => run.state)).toEqual([BackgroundJobState.Active]);
    return runs[0];
  }

  test('close() leaves no completion timer behind', async () => {
    jest.useFakeTimers({ now: Date.parse('2027-01-05T10:00:00Z') });
    const manager = new BackgroundJobsManager({
      config: attachingConfig(),
      handlers: HANDLERS,
      isolation: 'inline',
      logger: recordingLogger(),
    });
    await runningForAnHour(manager);
    const closing = manager.close({ graceSeconds: 0 });
    await jest.advanceTimersByTimeAsync(1000); // close's own waits run on the fake clock too
    await closing;
    expect(jest.getTimerCount()).toBe(0);
  });

  test('without close, the timer is what cancels the run an hour later', async () => {
    jest.useFakeTimers({ now: Date.parse('2027-01-05T10:00:00Z') });
    const manager = createManager({ isolation: 'inline' });
    const run = await runningForAnHour(manager);
    await jest.advanceTimersByTimeAsync(3600_000);
    expect((await manager.findByUUID(run.uuid))?.state).toBe(BackgroundJobState.Canceled);
  });
});
