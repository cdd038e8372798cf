import { BackgroundJobsManager, JobSchedule } from 'web-background-jobs';
import { closeAfterTest, HANDLERS, recordingLogger, writeConfig } from '../helpers';

// Every check of a schedule's next run walks its windows of the day, on the main thread: their number is capped.

const windows = (count: number) =>
  Array.from({ length: count }, (_, hour) => ({ beginTime: `${hour % 24}:00` }));
const tooMany = /detailedDailySchedules takes at most 100 windows, got 101; .*repeatPeriodSeconds/;

describe('a schedule takes at most 100 windows of the day', () => {
  test('100 are taken; 101 are refused with WBJ_BAD_ARGUMENT naming the count and the limit', () => {
    const schedule = new JobSchedule();
    schedule.ДетальныеРасписанияДня = windows(100);
    expect(schedule.detailedDailySchedules).toHaveLength(100);
    expect(() => (schedule.detailedDailySchedules = windows(101))).toThrow(
      expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringMatching(tooMany) }),
    );
    expect(schedule.detailedDailySchedules).toHaveLength(100);
  });

  test('101 in web.config stop start-up with WBJ_CONFIG naming the job, the count, the limit and the line', () => {
    const config = writeConfig(
      '    <add key="WebBackgroundJobs" value="attachAssembly" />',
      undefined,
      `    <add name="Hourly" method="Reports.Build" detailedDailySchedules='${JSON.stringify(windows(101))}' />`,
    );
    const start = () =>
      closeAfterTest(
        new BackgroundJobsManager({
          config,
          handlers: HANDLERS,
          isolation: 'inline',
          logger: recordingLogger(),
        }),
      );
    expect(start).toThrow(
      expect.objectContaining({ code: 'WBJ_CONFIG', message: expect.stringMatching(tooMany) }),
    );
    expect(start).toThrow(/^Scheduled job "Hourly": .*line 7\)$/);
  });
});
