import {
  BackgroundJobsError,
  type BackgroundJobsManager,
  JobSchedule,
  type ScheduledJob,
  РасписаниеРегламентногоЗадания,
} from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

// The schedule as the object a 1C developer fills field by field (РасписаниеРегламентногоЗадания).

const badArgument = (message: RegExp) =>
  expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringMatching(message) });

describe('a schedule filled field by field', () => {
  test('1C code runs as written: new РасписаниеРегламентногоЗадания, fields by their 1C names, assigned to a job', () => {
    const Р = new РасписаниеРегламентногоЗадания();
    Р.ПериодПовтораДней = 1;
    Р.ВремяНачала = '03:00';
    Р.ДниНедели = [1, 2, 3, 4, 5];
    const Задание = createManager().РегламентныеЗадания.СоздатьРегламентноеЗадание({
      name: 'Ночное',
      methodName: 'Reports.Build',
      schedule: { cron: '0 0 1 1 *' },
    });
    Задание.Расписание = Р;
    expect(Задание.Расписание.ПериодПовтораДней).toBe(1);
    expect(Задание.Расписание.ВремяНачала).toBe('03:00:00');
    expect(Задание.toJSON().schedule).toEqual({
      daysRepeatPeriod: 1,
      beginTime: '03:00:00',
      weekDays: [1, 2, 3, 4, 5],
    });
    expect(Р).toBeInstanceOf(JobSchedule);
  });

  test('nextRunAfter refuses what is not a valid Date, naming the argument, on a schedule and on a scheduled job', () => {
    const schedule = new JobSchedule();
    schedule.daysRepeatPeriod = 1;
    const job = createManager().scheduledJobs.create({
      name: 'Dated',
      methodName: 'Reports.Build',
      schedule,
    });
    expect(() => schedule.nextRunAfter(new Date(Number.NaN))).toThrow(
      badArgument(
        /^schedule\.nextRunAfter\(after, lastEnded\?\): after must be a valid Date, got an object \(Date\)/,
      ),
    );
    expect(() => schedule.nextRunAfter(new Date(), '2027-01-01' as unknown as Date)).toThrow(
      badArgument(/lastEnded must be a valid Date, got "2027-01-01"/),
    );
    expect(() => job.nextRunAfter(new Date(Number.NaN))).toThrow(
      badArgument(/^nextRunAfter\(after\): after must be a valid Date, got an object \(Date\)/),
    );
    expect(job.nextRunAfter(new Date(0))).toBeInstanceOf(Date);
  });

  test('a field not set reads as in 1C: 0 for a number, an empty list, undefined for a time', () => {
    const Р = new JobSchedule();
    expect([Р.ПериодПовтораДней, Р.ПаузаПовтора, Р.ДниНедели, Р.ВремяНачала, Р.cron]).toEqual([
      0,
      0,
      [],
      undefined,
      undefined,
    ]);
    Р.ПериодПовтораДней = 2;
    Р.ПериодПовтораДней = 0; // 1C's "not used"
    expect(Р.toJSON()).toEqual({});
  });

  test('each field is checked on assignment: WBJ_BAD_ARGUMENT names it, the value and the expected form', () => {
    const Р = new JobSchedule();
    expect(() => (Р.ПериодПовтораДней = -1)).toThrow(
      badArgument(/daysRepeatPeriod must be an integer from 1 to 3660, got -1/),
    );
    expect(() => (Р.ВремяНачала = '25:00')).toThrow(badArgument(/beginTime must be a time of day .*"25:00"/));
    expect(() => (Р.timezone = 'Mars/Olympus')).toThrow(badArgument(/timezone must be an IANA time zone/));
    expect(() => (Р.cron = '61 * * * *')).toThrow(
      badArgument(/cron "61 \* \* \* \*" is not a cron expression/),
    );
    expect(Р.toJSON()).toEqual({});
  });

  test('an unknown field is refused with a did-you-mean, not added as a property nothing reads', () => {
    const Р = new РасписаниеРегламентногоЗадания() as JobSchedule & Record<string, unknown>;
    expect(() => (Р.ПериодПовтораДнй = 1)).toThrow(
      badArgument(/ПериодПовтораДнй.*did you mean ПериодПовтораДней\?/),
    );
    expect(() => (Р.Periodicity = 1)).toThrow(BackgroundJobsError);
    expect(Object.keys(Р)).toEqual([]);
  });

  test('lists read back frozen: changing one in place cannot bypass the checks', () => {
    const Р = new JobSchedule({ weekDays: [1] });
    expect(() => (Р.weekDays as number[]).push(9)).toThrow(TypeError);
    expect(Р.weekDays).toEqual([1]);
  });

  test('plain data is still taken everywhere, in English or 1C names, and a schedule object takes it too', () => {
    expect(new JobSchedule({ ПериодПовтораВТечениеДня: 60 }).toJSON()).toEqual({ repeatPeriodSeconds: 60 });
    expect(new JobSchedule({ cron: '*/5 * * * *', timezone: 'UTC' }).toJSON()).toEqual({
      cron: '*/5 * * * *',
      timezone: 'UTC',
    });
    expect(() => new JobSchedule({ cron: '* * * * *', beginTime: '10:00' })).toThrow(
      badArgument(/cron or 1C-style fields, not both/),
    );
  });
});

describeEachIsolation("a scheduled job's schedule is that job's", (isolation) => {
  const manager = (): BackgroundJobsManager => createManager({ isolation });
  async function saved(within = manager()): Promise<ScheduledJob> {
    const job = within.scheduledJobs.create({
      name: 'Monitoring',
      methodName: 'Reports.Build',
      schedule: { ВремяНачала: '02:00', timezone: 'UTC' },
    });
    await job.write();
    return job;
  }

  test('assigning a field of job.Расписание changes the job, and Записать() saves it (БСП ЦентрМониторинга)', async () => {
    const Менеджер = manager();
    const Задание = await saved(Менеджер);
    Задание.Расписание.ПериодПовтораДней = 1;
    Задание.Расписание.ПериодПовтораВТечениеДня = 600;
    await Задание.Записать();
    const read = await Менеджер.scheduledJobs.findByName('Monitoring');
    expect(read!.schedule.toJSON()).toEqual({
      beginTime: '02:00:00',
      daysRepeatPeriod: 1,
      repeatPeriodSeconds: 600,
      timezone: 'UTC',
    });
    expect(JSON.parse(JSON.stringify(read)).schedule).toEqual(read!.schedule.toJSON());
    expect(read!.nextRunAfter(new Date('2027-01-05T02:05:00Z'))?.toISOString()).toBe(
      '2027-01-05T02:10:00.000Z',
    );
  });

  test('a field that makes the whole schedule wrong is refused, and the job keeps its schedule', async () => {
    const job = await saved();
    const schedule = job.schedule;
    expect(() => (schedule.cron = '* * * * *')).toThrow(
      badArgument(/Scheduled job "Monitoring": schedule takes cron or 1C-style fields, not both/),
    );
    expect(() => (job.schedule.months = [2])).not.toThrow();
    expect(() => (job.schedule.daysOfMonth = 30)).toThrow(badArgument(/never runs/));
    expect(job.schedule.toJSON()).toEqual({ beginTime: '02:00:00', months: [2], timezone: 'UTC' });
    expect(schedule.cron).toBeUndefined();
  });
});
