import { BackgroundJobsManager } from 'web-background-jobs';
import { closeAfterTest, HANDLERS, recordingLogger, writeConfig } from '../helpers';

// The new fields of a 1C-style schedule as attributes of a job declared in web.config.

const ATTACH = '    <add key="WebBackgroundJobs" value="attachAssembly" />';

function declared(attributes: string) {
  const config = writeConfig(
    ATTACH,
    undefined,
    `    <add name="Nightly" method="Reports.Build" ${attributes} />`,
  );
  const manager = closeAfterTest(
    new BackgroundJobsManager({ config, handlers: HANDLERS, isolation: 'inline', logger: recordingLogger() }),
  );
  return { schedule: manager.settings.scheduledJobs[0]?.data.schedule };
}

function startUpError(attributes: string): unknown {
  try {
    declared(attributes);
  } catch (error) {
    return error;
  }
  throw new Error('expected a start-up error');
}

describe('web.config takes every field of a 1C-style schedule as an attribute', () => {
  test('repeatPause, completionTime and completionInterval of the day', () => {
    const { schedule } = declared(
      'repeatPeriodSeconds="60" repeatPause="30" completionTime="05:00" completionInterval="600"',
    );
    expect(schedule).toEqual({
      repeatPeriodSeconds: 60,
      repeatPause: 30,
      completionTime: '05:00:00',
      completionInterval: 600,
    });
  });

  test('numbers, dates, times, lists with days from the month end, and detailed windows as JSON', () => {
    const { schedule } = declared(
      'daysRepeatPeriod="1" weeksPeriod="2" weekDayInMonth="-1" weekDays="5" daysOfMonth="-1,1-2" ' +
        'beginDate="2027-01-01" endDate="20271231" timezone="UTC" ' +
        `detailedDailySchedules='[{"ВремяНачала": "22:00", "ВремяКонца": "02:00", "ПериодПовтораВТечениеДня": 3600, "ПаузаПовтора": 30}, {"beginTime": "08:00", "completionTime": "09:00", "completionInterval": 600}]'`,
    );
    expect(schedule).toEqual({
      daysRepeatPeriod: 1,
      weeksPeriod: 2,
      weekDayInMonth: -1,
      weekDays: [5],
      daysOfMonth: [-1, 1, 2],
      beginDate: '2027-01-01',
      endDate: '2027-12-31',
      detailedDailySchedules: [
        { beginTime: '22:00:00', endTime: '02:00:00', repeatPeriodSeconds: 3600, repeatPause: 30 },
        { beginTime: '08:00:00', completionTime: '09:00:00', completionInterval: 600 },
      ],
      timezone: 'UTC',
    });
  });

  test.each([
    ['daysRepeatPeriod="daily"', /daysRepeatPeriod must be an integer from 1 to 3660, got "daily"/],
    ['weekDayInMonth="9"', /weekDayInMonth must be an integer from 1 to 5 .*got 9/],
    ['completionTime="7pm"', /completionTime must be a time of day .*got "7pm"/],
    ['detailedDailySchedules="08:00"', /detailedDailySchedules is not JSON .*expected a JSON array/],
    ['beginDate="2027-13-01"', /beginDate must be a date "YYYY-MM-DD"/],
  ])('%s stops start-up with WBJ_CONFIG naming the job, the field and the line', (attributes, message) => {
    const error = startUpError(attributes);
    expect(error).toMatchObject({ code: 'WBJ_CONFIG' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^Scheduled job "Nightly": .*line 7\)$/);
  });
});
