import { JobSchedule, РасписаниеРегламентногоЗадания } from 'web-background-jobs';
import { createManager } from '../helpers';

// A schedule's text in 1C's words (`Строка(Расписание)`), Russian by default and in 1C's English.

/** 1C groups thousands with a no-break space. */
const NBSP = '\u00a0';

describe("a schedule's toString() is 1C's Строка(Расписание)", () => {
  test.each([
    [
      { ПериодПовтораДней: 1, ВремяНачала: '03:00' },
      'Каждый день; с 3:00:00 один раз в день',
      'Every day; from 3:00:00 once a day',
    ],
    // БСП РассылкаОтчетовВызовСервера: "Каждый день; каждые 1 800 секунд".
    [
      { ПериодПовтораДней: 1, ПериодПовтораВТечениеДня: 1800 },
      `Каждый день; каждые 1${NBSP}800 секунд`,
      'Every day; every 1,800 seconds',
    ],
    // A configuration's schedule as 1C prints it: "каждый день; с 7:00:00 по 18:00:00 один раз в день, завершать
    // после 18:00:00" (ВремяНачала, ВремяКонца, ВремяЗавершения).
    [
      { ПериодПовтораДней: 1, ВремяНачала: '07:00', ВремяКонца: '18:00', ВремяЗавершения: '18:00' },
      'Каждый день; с 7:00:00 по 18:00:00 один раз в день, завершать после 18:00:00',
      'Every day; from 7:00:00 to 18:00:00 once a day, complete after 18:00:00',
    ],
    [
      { ПериодПовтораДней: 1, ДниНедели: [6, 7], ВремяНачала: '01:00', ВремяКонца: '07:00' },
      'Каждый день, по дням недели [суббота, воскресенье]; с 1:00:00 по 7:00:00 один раз в день',
      'Every day, on week days [Saturday, Sunday]; from 1:00:00 to 7:00:00 once a day',
    ],
    [
      { ПериодПовтораДней: 21, ПериодПовтораВТечениеДня: 3600, ВремяНачала: '22:00', ВремяКонца: '02:00' },
      `Каждый 21 день; с 22:00:00 по 2:00:00 каждые 3${NBSP}600 секунд`,
      'Every 21 days; from 22:00:00 to 2:00:00 every 3,600 seconds',
    ],
    [
      {
        ПериодПовтораДней: 1,
        ДниНедели: [1, 2, 3, 4, 5, 6, 7],
        Месяцы: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      },
      'Каждый день; один раз в день',
      'Every day; once a day',
    ],
    [
      {
        daysRepeatPeriod: 3,
        weekDayInMonth: -1,
        months: [1, 7],
        beginDate: '2027-01-01',
        endDate: '2027-12-31',
        detailedDailySchedules: [
          { beginTime: '08:00', completionTime: '09:00' },
          { beginTime: '20:00', repeatPeriodSeconds: 60, repeatPause: 30, completionInterval: 600 },
        ],
      },
      'Каждые 3 дня, в последнюю неделю месяца, по месяцам [январь, июль], с 01.01.2027, по 31.12.2027; ' +
        'с 8:00:00 один раз в день, завершать после 9:00:00; ' +
        'с 20:00:00 каждые 60 секунд, пауза 30 секунд, завершать через 600 секунд',
      'Every 3 days, in the last week of the month, in months [January, July], from 1/1/2027, to 12/31/2027; ' +
        'from 8:00:00 once a day, complete after 9:00:00; ' +
        'from 20:00:00 every 60 seconds, pause 30 seconds, complete in 600 seconds',
    ],
    [
      { cron: '0 30 3 * * *', timezone: 'Europe/Moscow' },
      'По расписанию cron «0 30 3 * * *» (Europe/Moscow)',
      'Cron "0 30 3 * * *" (Europe/Moscow)',
    ],
  ])('%j', (fields, russian, english) => {
    const schedule = new JobSchedule(fields);
    expect(schedule.toString()).toBe(russian);
    expect(String(schedule)).toBe(russian);
    expect(`${schedule}`).toBe(russian);
    expect(schedule.toString('en')).toBe(english);
  });

  test('two schedules with the same text are the same schedule, as БСП compares them (РасписанияОдинаковые)', () => {
    const Р1 = new РасписаниеРегламентногоЗадания({ ВремяНачала: '00010101030000', ПериодПовтораДней: 1 });
    const Р2 = new РасписаниеРегламентногоЗадания();
    Р2.ПериодПовтораДней = 1;
    Р2.ВремяНачала = '03:00:00';
    expect(String(Р1)).toBe(String(Р2));
  });

  test("a scheduled job's schedule reads in words from the job", () => {
    const job = createManager().scheduledJobs.create({
      name: 'Nightly',
      methodName: 'Reports.Build',
      schedule: { ПериодПовтораДней: 1, ВремяНачала: '03:00' },
    });
    expect(String(job.Расписание)).toBe('Каждый день; с 3:00:00 один раз в день');
  });

  test('a language other than ru or en is refused with WBJ_BAD_ARGUMENT naming it', () => {
    expect(() => new JobSchedule({ beginTime: '03:00' }).toString('de' as never)).toThrow(
      expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringContaining('"de"') }),
    );
  });
});
