import {
  BackgroundJobsManager,
  JobSchedule,
  type ScheduledJob,
  type ScheduledJobSchedule,
} from 'web-background-jobs';
import { attachingConfig, createManager, HANDLERS, recordingLogger } from '../helpers';

// Next-run computation on a fixed clock: every `after` is given, so nothing here waits for time to pass.

function scheduled(schedule: ScheduledJobSchedule | Record<string, unknown>): ScheduledJob {
  return createManager().scheduledJobs.create({
    name: 'Probe',
    methodName: 'Reports.Build',
    schedule: schedule as ScheduledJobSchedule,
  });
}

/** The first `count` runs after `from`, as ISO instants. */
function runs(
  schedule: ScheduledJobSchedule | Record<string, unknown>,
  from: string,
  count: number,
): string[] {
  const job = scheduled(schedule);
  const found: string[] = [];
  let after = new Date(from);
  for (let index = 0; index < count; index += 1) {
    after = job.nextRunAfter(after)!;
    found.push(after.toISOString());
  }
  return found;
}

/** The same instants as wall-clock readings in `zone` (`2026-03-08 03:00:00`). */
function wall(instants: string[], zone: string): string[] {
  const format = new Intl.DateTimeFormat('sv-SE', {
    timeZone: zone,
    dateStyle: 'short',
    timeStyle: 'medium',
  });
  return instants.map((instant) => format.format(new Date(instant)));
}

describe('cron schedules', () => {
  test('a five-field expression runs on whole minutes, strictly after the given time', () => {
    expect(runs({ cron: '*/15 * * * *', timezone: 'UTC' }, '2026-01-05T10:15:00Z', 3)).toEqual([
      '2026-01-05T10:30:00.000Z',
      '2026-01-05T10:45:00.000Z',
      '2026-01-05T11:00:00.000Z',
    ]);
  });

  test('a six-field expression has seconds first', () => {
    expect(runs({ cron: '*/20 * * * * *', timezone: 'UTC' }, '2026-01-05T10:00:05Z', 3)).toEqual([
      '2026-01-05T10:00:20.000Z',
      '2026-01-05T10:00:40.000Z',
      '2026-01-05T10:01:00.000Z',
    ]);
  });

  test('the expression reads in its time zone', () => {
    expect(runs({ cron: '0 9 * * 1-5', timezone: 'Europe/Moscow' }, '2026-01-09T07:00:00Z', 2)).toEqual([
      '2026-01-12T06:00:00.000Z', // Monday 09:00 in Moscow (UTC+3); Saturday and Sunday skipped
      '2026-01-13T06:00:00.000Z',
    ]);
  });

  test('a fixed time the clocks skip (spring forward) runs once, when the gap ends', () => {
    const zone = 'America/New_York';
    expect(wall(runs({ cron: '30 2 * * *', timezone: zone }, '2026-03-07T12:00:00Z', 3), zone)).toEqual([
      '2026-03-08 03:00:00',
      '2026-03-09 02:30:00',
      '2026-03-10 02:30:00',
    ]);
  });

  test('a fixed time the clocks pass twice (fall back) runs once', () => {
    const zone = 'America/New_York';
    expect(wall(runs({ cron: '30 1 * * *', timezone: zone }, '2026-10-31T12:00:00Z', 3), zone)).toEqual([
      '2026-11-01 01:30:00',
      '2026-11-02 01:30:00',
      '2026-11-03 01:30:00',
    ]);
  });
});

describe('asking one schedule again', () => {
  const at = (iso: string): Date => new Date(iso);
  const next = (job: ScheduledJob, after: string): string | undefined =>
    job.nextRunAfter(at(after))?.toISOString();

  test.each([
    ['a cron expression', { cron: '* * * * *', timezone: 'UTC' }],
    ['a 1C-style schedule', { repeatPeriodSeconds: 60, timezone: 'UTC' }],
  ])(
    '%s answers each time for the time asked: later within the same minute, past its run, then earlier',
    (_, schedule) => {
      const job = scheduled(schedule);
      expect(next(job, '2026-05-04T12:00:10Z')).toBe('2026-05-04T12:01:00.000Z');
      expect(next(job, '2026-05-04T12:00:50Z')).toBe('2026-05-04T12:01:00.000Z');
      expect(next(job, '2026-05-04T12:01:00Z')).toBe('2026-05-04T12:02:00.000Z');
      expect(next(job, '2026-05-04T12:03:30Z')).toBe('2026-05-04T12:04:00.000Z');
      expect(next(job, '2026-05-04T11:58:59Z')).toBe('2026-05-04T11:59:00.000Z');
    },
  );

  test('the Date nextRunAfter returns is the caller’s own: changing it changes no later answer', () => {
    const job = scheduled({ cron: '0 3 * * *', timezone: 'UTC' });
    job.nextRunAfter(at('2026-05-04T00:00:00Z'))!.setUTCFullYear(2099);
    expect(next(job, '2026-05-04T01:00:00Z')).toBe('2026-05-04T03:00:00.000Z');
  });
});

describe('1C-style schedules', () => {
  test('without a repeat period it runs once a day at beginTime', () => {
    expect(runs({ beginTime: '03:15', timezone: 'UTC' }, '2026-01-05T03:15:00Z', 2)).toEqual([
      '2026-01-06T03:15:00.000Z',
      '2026-01-07T03:15:00.000Z',
    ]);
  });

  test('a repeat period counts from beginTime and stops at endTime, then starts again the next day', () => {
    const schedule = { repeatPeriodSeconds: 3600, beginTime: '08:30', endTime: '10:30', timezone: 'UTC' };
    expect(runs(schedule, '2026-01-05T09:00:00Z', 4)).toEqual([
      '2026-01-05T09:30:00.000Z',
      '2026-01-05T10:30:00.000Z',
      '2026-01-06T08:30:00.000Z',
      '2026-01-06T09:30:00.000Z',
    ]);
  });

  test('the next run comes from the schedule, not from when the last run ended: a period of 7 s stays on its grid', () => {
    const schedule = { repeatPeriodSeconds: 7, timezone: 'UTC' };
    // Asked at odd moments (as a late run would ask), the answers stay on 00:00:00 + k × 7 s.
    const job = scheduled(schedule);
    expect(job.nextRunAfter(new Date('2026-01-05T00:00:00.500Z'))?.toISOString()).toBe(
      '2026-01-05T00:00:07.000Z',
    );
    expect(job.nextRunAfter(new Date('2026-01-05T00:00:09.999Z'))?.toISOString()).toBe(
      '2026-01-05T00:00:14.000Z',
    );
    // 86 400 is not a multiple of 7: the last run of the day is 23:59:55, and the next day starts at 00:00:00.
    expect(job.nextRunAfter(new Date('2026-01-05T23:59:55Z'))?.toISOString()).toBe(
      '2026-01-06T00:00:00.000Z',
    );
  });

  test('weekDays (1 Monday … 7 Sunday), months and daysOfMonth must all match', () => {
    expect(runs({ beginTime: '12:00', weekDays: [1], timezone: 'UTC' }, '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-05T12:00:00.000Z',
      '2026-01-12T12:00:00.000Z',
    ]);
    // The 13th that is a Friday, in 2026: February, March and November.
    const fridayThe13th = { beginTime: '00:00', weekDays: [5], daysOfMonth: [13], timezone: 'UTC' };
    expect(runs(fridayThe13th, '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-02-13T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
    ]);
    expect(runs({ months: [6], daysOfMonth: [1], timezone: 'UTC' }, '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-06-01T00:00:00.000Z',
      '2027-06-01T00:00:00.000Z',
    ]);
  });

  test('a daily time the clocks skip runs once, when the gap ends; the next day it is back at its time', () => {
    const zone = 'America/New_York';
    expect(wall(runs({ beginTime: '02:30', timezone: zone }, '2026-03-07T12:00:00Z', 2), zone)).toEqual([
      '2026-03-08 03:00:00',
      '2026-03-09 02:30:00',
    ]);
  });

  test('a repeat keeps its period in elapsed time through spring forward: none doubled, none lost', () => {
    const schedule = {
      repeatPeriodSeconds: 1800,
      beginTime: '00:00',
      endTime: '05:00',
      timezone: 'America/New_York',
    };
    const found = runs(schedule, '2026-03-08T04:00:00Z', 9); // from midnight, New York
    const gaps = found.slice(1).map((instant, index) => Date.parse(instant) - Date.parse(found[index]));
    expect(new Set(gaps)).toEqual(new Set([1_800_000]));
    expect(wall(found, 'America/New_York').slice(3, 6)).toEqual([
      '2026-03-08 01:30:00',
      '2026-03-08 03:00:00', // 02:00 EST is 03:00 EDT: the same instant, once
      '2026-03-08 03:30:00',
    ]);
  });

  test('a repeat keeps its period in elapsed time through fall back: the repeated hour runs as elapsed time goes on', () => {
    const schedule = {
      repeatPeriodSeconds: 1800,
      beginTime: '00:00',
      endTime: '03:00',
      timezone: 'America/New_York',
    };
    const found = runs(schedule, '2026-11-01T03:00:00Z', 9);
    const gaps = found.slice(1).map((instant, index) => Date.parse(instant) - Date.parse(found[index]));
    expect(new Set(gaps)).toEqual(new Set([1_800_000]));
    expect(new Set(found).size).toBe(found.length);
    expect(wall(found, 'America/New_York')).toEqual([
      '2026-11-01 00:00:00',
      '2026-11-01 00:30:00',
      '2026-11-01 01:00:00',
      '2026-11-01 01:30:00',
      '2026-11-01 01:00:00', // the clocks went back: the same readings, one hour later
      '2026-11-01 01:30:00',
      '2026-11-01 02:00:00',
      '2026-11-01 02:30:00',
      '2026-11-01 03:00:00',
    ]);
  });

  test('fields can be given by their 1C names', () => {
    const job = scheduled({
      ПериодПовтораВТечениеДня: 600,
      ВремяНачала: '10:00',
      ДниНедели: [2],
      timezone: 'UTC',
    });
    expect(job.schedule.toJSON()).toEqual({
      repeatPeriodSeconds: 600,
      beginTime: '10:00:00',
      weekDays: [2],
      timezone: 'UTC',
    });
    expect(job.nextRunAfter(new Date('2026-01-06T10:05:00Z'))?.toISOString()).toBe(
      '2026-01-06T10:10:00.000Z',
    );
  });
});

describe('the rest of РасписаниеРегламентногоЗадания', () => {
  test('daysRepeatPeriod 1 (1C: ПериодПовтораДней = 1, the most common 1C schedule) runs every day', () => {
    const everyDay = { ПериодПовтораДней: 1, ВремяНачала: '03:00', timezone: 'UTC' };
    expect(runs(everyDay, '2026-01-05T03:00:00Z', 3)).toEqual([
      '2026-01-06T03:00:00.000Z',
      '2026-01-07T03:00:00.000Z',
      '2026-01-08T03:00:00.000Z',
    ]);
  });

  test('daysRepeatPeriod N counts from beginDate, or else from 0001-01-01 (1C: the empty date), the same on every start', () => {
    const fromBegin = { daysRepeatPeriod: 3, beginDate: '2027-01-02', beginTime: '12:00', timezone: 'UTC' };
    expect(runs(fromBegin, '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-02T12:00:00.000Z',
      '2027-01-05T12:00:00.000Z',
      '2027-01-08T12:00:00.000Z',
    ]);
    // 2027-01-03 is day 739 983 after 0001-01-01, a multiple of 3.
    const fromOrigin = { daysRepeatPeriod: 3, beginTime: '12:00', timezone: 'UTC' };
    expect(runs(fromOrigin, '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-01-03T12:00:00.000Z',
      '2027-01-06T12:00:00.000Z',
    ]);
  });

  test('weeksPeriod runs every N-th week (Monday to Sunday) from the week of beginDate', () => {
    const fortnightly = { weeksPeriod: 2, weekDays: [1], beginDate: '2027-01-06', timezone: 'UTC' };
    expect(runs(fortnightly, '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-18T00:00:00.000Z', // the Monday of 4 January is before beginDate; 11 January is the off week
      '2027-02-01T00:00:00.000Z',
      '2027-02-15T00:00:00.000Z',
    ]);
  });

  test('weekDayInMonth picks the n-th seven days of the month, negative from its end: the second Tuesday, the last Friday', () => {
    const secondTuesday = { weekDays: [2], weekDayInMonth: 2, beginTime: '09:00', timezone: 'UTC' };
    expect(runs(secondTuesday, '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-01-12T09:00:00.000Z',
      '2027-02-09T09:00:00.000Z',
    ]);
    const lastFriday = { ДниНедели: [5], ДеньНеделиВМесяце: -1, timezone: 'UTC' };
    expect(runs(lastFriday, '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-01-29T00:00:00.000Z',
      '2027-02-26T00:00:00.000Z',
    ]);
  });

  test('daysOfMonth takes one number as 1C does, and a negative day counts from the month end (-1: the last day)', () => {
    expect(runs({ ДеньВМесяце: -1, timezone: 'UTC' }, '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-01-31T00:00:00.000Z',
      '2027-02-28T00:00:00.000Z',
      '2027-03-31T00:00:00.000Z',
    ]);
    expect(scheduled({ ДеньВМесяце: 15, timezone: 'UTC' }).schedule.toJSON()).toEqual({
      daysOfMonth: [15],
      timezone: 'UTC',
    });
  });

  test('beginDate and endDate bound the days it runs, both included; after endDate it never runs again', () => {
    const march = { beginDate: '2027-03-01', endDate: '20270302', beginTime: '10:00', timezone: 'UTC' };
    const job = scheduled(march);
    expect(runs(march, '2027-01-01T00:00:00Z', 2)).toEqual([
      '2027-03-01T10:00:00.000Z',
      '2027-03-02T10:00:00.000Z',
    ]);
    expect(job.nextRunAfter(new Date('2027-03-02T10:00:00Z'))).toBeUndefined();
    expect(job.schedule.toJSON()).toMatchObject({ beginDate: '2027-03-01', endDate: '2027-03-02' });
  });

  test("times may be Dates or 1C date literals, of which only the time counts; 1C's empty time means not set", () => {
    const job = scheduled({
      ВремяНачала: new Date(2000, 0, 1, 3, 15, 30),
      ВремяКонца: '00010101050000',
      ВремяЗавершения: '00010101000000',
      ПериодПовтораВТечениеДня: 3600,
      timezone: 'UTC',
    });
    expect(job.schedule.toJSON()).toEqual({
      beginTime: '03:15:30',
      endTime: '05:00:00',
      repeatPeriodSeconds: 3600,
      timezone: 'UTC',
    });
  });

  test('a window whose endTime is before its beginTime runs across midnight, into the next day', () => {
    const night = { beginTime: '22:00', endTime: '02:00', repeatPeriodSeconds: 3600, timezone: 'UTC' };
    expect(runs(night, '2027-01-05T21:00:00Z', 6)).toEqual([
      '2027-01-05T22:00:00.000Z',
      '2027-01-05T23:00:00.000Z',
      '2027-01-06T00:00:00.000Z',
      '2027-01-06T01:00:00.000Z',
      '2027-01-06T02:00:00.000Z',
      '2027-01-06T22:00:00.000Z',
    ]);
    // Asked after midnight, the window of the day before is still open.
    expect(runs(night, '2027-01-06T00:30:00Z', 1)).toEqual(['2027-01-06T01:00:00.000Z']);
  });

  test('detailedDailySchedules runs each window of the day with its own times', () => {
    const twice = {
      ДетальныеРасписанияДня: [
        { ВремяНачала: '20:00', ВремяКонца: '21:00', ПериодПовтораВТечениеДня: 1800 },
        { beginTime: '08:00' },
      ],
      timezone: 'UTC',
    };
    expect(runs(twice, '2027-01-05T00:00:00Z', 5)).toEqual([
      '2027-01-05T08:00:00.000Z',
      '2027-01-05T20:00:00.000Z',
      '2027-01-05T20:30:00.000Z',
      '2027-01-05T21:00:00.000Z',
      '2027-01-06T08:00:00.000Z',
    ]);
  });

  test('repeatPause: the next run waits that long after the previous one ended, on the repeat period’s grid', () => {
    const schedule = new JobSchedule({ repeatPeriodSeconds: 60, repeatPause: 90, timezone: 'UTC' });
    const after = new Date('2027-01-05T10:01:00Z');
    // Ended at 10:01:30: 90 s later is 10:03:00, on the grid.
    expect(schedule.nextRunAfter(after, new Date('2027-01-05T10:01:30Z'))?.toISOString()).toBe(
      '2027-01-05T10:03:00.000Z',
    );
    // Ended at 10:01:40: 10:03:10, so the grid's 10:04:00.
    expect(schedule.nextRunAfter(after, new Date('2027-01-05T10:01:40Z'))?.toISOString()).toBe(
      '2027-01-05T10:04:00.000Z',
    );
    // Without the end, the grid alone.
    expect(schedule.nextRunAfter(after)?.toISOString()).toBe('2027-01-05T10:02:00.000Z');
  });
});

describe('the new fields through changes of daylight-saving time (America/New_York)', () => {
  const zone = 'America/New_York';

  test.each([
    ['spring forward', '2026-03-08T03:30:00Z', 7], // 23:00 EST to 03:00 EDT: 3 hours of elapsed time
    ['fall back', '2026-11-01T02:30:00Z', 11], // 23:00 EDT to 03:00 EST: 5 hours
  ])(
    'a window across midnight keeps its period in elapsed time through %s: none doubled, none lost',
    (_change, from, count) => {
      const night = {
        daysRepeatPeriod: 1,
        beginTime: '23:00',
        endTime: '03:00',
        repeatPeriodSeconds: 1800,
        timezone: zone,
      };
      const found = runs(night, from, count + 1);
      const window = found.slice(0, count);
      const gaps = window.slice(1).map((instant, index) => Date.parse(instant) - Date.parse(window[index]));
      expect(new Set(gaps)).toEqual(new Set([1_800_000]));
      expect(wall([window[0], window[count - 1], found[count]], zone).map((text) => text.slice(11))).toEqual([
        '23:00:00',
        '03:00:00',
        '23:00:00',
      ]);
    },
  );

  test('every other day at a time the clocks skip runs once, when the gap ends, and keeps its days', () => {
    const schedule = { daysRepeatPeriod: 2, beginDate: '2026-03-06', beginTime: '02:30', timezone: zone };
    expect(wall(runs(schedule, '2026-03-05T12:00:00Z', 3), zone)).toEqual([
      '2026-03-06 02:30:00',
      '2026-03-08 03:00:00',
      '2026-03-10 02:30:00',
    ]);
  });

  test('the first Sunday of the month at a time the clocks pass twice runs once', () => {
    const schedule = { weekDays: [7], weekDayInMonth: 1, beginTime: '01:30', timezone: zone };
    expect(wall(runs(schedule, '2026-10-31T12:00:00Z', 2), zone)).toEqual([
      '2026-11-01 01:30:00',
      '2026-12-06 01:30:00',
    ]);
  });
});

describe('bad schedules are refused with the field and the expected form', () => {
  test.each([
    [{ cron: '61 * * * *' }, /cron "61 \* \* \* \*" is not a cron expression/],
    [{ cron: '* * * * *', beginTime: '10:00' }, /cron or 1C-style fields, not both/],
    [{ cron: '* * * * *', timezone: 'Mars/Olympus' }, /timezone must be an IANA time zone.*"Mars\/Olympus"/],
    [{}, /schedule is empty/],
    [{ every: 5 }, /unknown field "every"/],
    [{ repeatPeriodSeconds: -1 }, /repeatPeriodSeconds must be an integer from 1 to 86400, got -1/],
    [{ beginTime: '25:00' }, /beginTime must be a time of day "HH:MM" or "HH:MM:SS", .*, got "25:00"/],
    [{ weekDays: [0, 1] }, /weekDays must be an array of integers from 1 to 7; 0 is not/],
    [{ months: [2], daysOfMonth: [30, 31] }, /never runs/],
    ['daily', /schedule must be an object/],
    [{ daysRepeatPeriod: 1.5 }, /daysRepeatPeriod must be an integer from 1 to 3660, got 1.5/],
    [{ weeksPeriod: -2 }, /weeksPeriod must be an integer from 1 to 520, got -2/],
    [{ weekDayInMonth: 6 }, /weekDayInMonth must be an integer from 1 to 5 .*got 6/],
    [
      { ДеньВМесяце: 32 },
      /daysOfMonth must be an array of integers from 1 to 31 or from −31 to −1 .*; 32 is not/,
    ],
    [{ beginDate: '2027-02-30' }, /beginDate must be a date "YYYY-MM-DD", .*got "2027-02-30"/],
    [
      { beginDate: '2027-03-02', endDate: '2027-03-01' },
      /endDate "2027-03-01" is before beginDate "2027-03-02"/,
    ],
    [{ endDate: '2020-01-01' }, /never runs/],
    [{ ВремяНачала: new Date(Number.NaN) }, /beginTime must be a time of day/],
    [{ completionInterval: 86_400 * 25 }, /completionInterval must be an integer from 1 to 2073600/],
    [{ detailedDailySchedules: {} }, /detailedDailySchedules must be an array of windows/],
    [
      { detailedDailySchedules: [{ beginTime: '08:00', weekDays: [1] }] },
      /detailedDailySchedules\[0\] has a field "weekDays" a window of the day does not take/,
    ],
    [
      { detailedDailySchedules: [{}, { beginTime: '8h' }] },
      /detailedDailySchedules\[1\]\.beginTime must be a time/,
    ],
    [
      { detailedDailySchedules: [{ beginTime: '08:00' }], beginTime: '09:00' },
      /detailedDailySchedules or the day's own times, not both/,
    ],
    [{ ПериодПовтораДнй: 1 }, /unknown field "ПериодПовтораДнй" \(did you mean ПериодПовтораДней\?\)/],
  ])('%j', (schedule, message) => {
    expect(() => scheduled(schedule as Record<string, unknown>)).toThrow(
      expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringMatching(message) }),
    );
  });
});

describe('timers on a fake clock', () => {
  afterEach(() => jest.useRealTimers());

  test.each([
    ['spring forward', '2026-03-08T05:00:00Z', { beginTime: '00:00', endTime: '04:00' }],
    ['fall back', '2026-11-01T04:00:00Z', { beginTime: '00:00', endTime: '04:00' }],
    ['spring forward', '2026-03-08T05:00:00Z', { daysRepeatPeriod: 1, beginTime: '23:30', endTime: '04:00' }],
    ['fall back', '2026-11-01T04:00:00Z', { daysRepeatPeriod: 1, beginTime: '23:30', endTime: '04:00' }],
  ])(
    'in memory, each run of a schedule fires once across %s: none doubled, none lost (%j)',
    async (_change, midnight, window) => {
      // Only the clock is faked (Date and timers); the manager, its store and the inline handler are real.
      jest.useFakeTimers({ now: Date.parse(midnight) - 60_000 }); // a minute before midnight, New York
      const manager = new BackgroundJobsManager({
        config: attachingConfig(),
        handlers: HANDLERS,
        isolation: 'inline',
        logger: recordingLogger(),
      });
      const zone = 'America/New_York';
      const scheduled = manager.scheduledJobs.create({
        name: 'HalfHourly',
        methodName: 'Reports.Build',
        schedule: { repeatPeriodSeconds: 1800, ...window, timezone: zone },
      });
      await scheduled.write();
      await jest.advanceTimersByTimeAsync(6 * 3600_000);
      const begins = (await manager.getBackgroundJobs({ scheduledJob: scheduled })).map((job) =>
        job.begin!.toISOString(),
      );
      await manager.close({ graceSeconds: 0 });
      // Midnight to 04:00 local every 30 minutes of elapsed time: 3 hours (7 runs) when the clocks go forward, 5 (11
      // runs) when they go back.
      const expected = runs(
        scheduled.schedule.toJSON(),
        new Date(Date.parse(midnight) - 1).toISOString(),
        20,
      ).filter((instant) => Date.parse(instant) <= Date.parse(midnight) + 6 * 3600_000);
      expect(begins).toEqual(expected);
      // A window from 23:30 the day before is open when the clock starts at 23:59: its timers go on from midnight
      // as the window from 00:00 does.
      expect(begins.length).toBe(midnight.startsWith('2026-03') ? 7 : 11);
    },
  );
});
