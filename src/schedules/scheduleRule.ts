import { Cron } from 'croner';
import { ALIASES, type AliasMembers, englishName } from '../compat/aliases';
import { didYouMean } from '../didYouMean';
import { describeValue } from '../errors';
import {
  checkField,
  DAILY_FIELDS,
  type DailyField,
  type DailySchedule,
  type DailyScheduleInput,
  type DailyWindow,
  ScheduleError,
  SECONDS_PER_DAY,
  secondOfDay,
  WINDOW_FIELDS,
} from './dailyScheduleFields';
import { instantAt, isTimeZone, localTimeZone, nextDay, type ZonedDay, zonedDay } from './zonedTime';

export {
  type DailySchedule,
  type DailyScheduleInput,
  type DailyWindow,
  type DailyWindowInput,
  LIST_MAXIMA,
  ScheduleError,
  type TimeInput,
} from './dailyScheduleFields';

/** A cron expression: five fields, or six with seconds first (`*&#47;5 * * * *`, `0 30 3 * * 1-5`). */
export interface CronSchedule {
  readonly cron: string;
  /** IANA time zone the expression reads in (`Europe/Moscow`). Default: the process's own. */
  readonly timezone?: string;
}

/** When a scheduled job runs: a cron expression or a 1C-style schedule. */
export type ScheduledJobSchedule = CronSchedule | DailySchedule;

/** A 1C-style schedule with its fields by their 1C names (`{ ПериодПовтораДней: 1, ВремяНачала: '03:00' }`). */
export type DailySchedule1C = Partial<
  AliasMembers<Required<Omit<DailyScheduleInput, 'timezone'>>, typeof ALIASES.schedule>
> & { readonly timezone?: string };

/**
 * What a schedule may be given as: {@link ScheduledJobSchedule}, 1C-style fields by English or 1C names (times
 * also as `Date`s, `daysOfMonth` also as one number), or a {@link JobSchedule} object.
 */
export type ScheduleInput =
  CronSchedule | DailyScheduleInput | DailySchedule1C | { toJSON(): ScheduledJobSchedule };

/** What a run started by a schedule must respect, from the window it is due in. */
export interface RunLimits {
  /** Seconds that must pass after the previous run ended (1C: ПаузаПовтора); 0 when none. */
  readonly pauseSeconds: number;
  /** When the run is cancelled if still active (1C: ВремяЗавершения, ИнтервалЗавершения). */
  readonly cancelAt: Date | undefined;
}

/** A schedule whose every field has been checked, and the next-run rule built from it. */
export interface CheckedSchedule {
  /** The schedule as plain data (JSON), fields in their English names. */
  readonly schedule: ScheduledJobSchedule;
  /**
   * The first run strictly after `after`, or `undefined` when the schedule never runs again; with `lastEnded` (when
   * the previous run ended), not before `repeatPause` has passed since then.
   */
  readonly nextRunAfter: (after: Date, lastEnded?: Date) => Date | undefined;
  /** The pause and the cancel time of a run due at `due`. */
  readonly limitsAt: (due: Date) => RunLimits;
}

/** Every field a schedule may have, in English. */
export const SCHEDULE_FIELDS = ['cron', 'timezone', ...DAILY_FIELDS] as const;
const FIELDS: readonly string[] = SCHEDULE_FIELDS;
/** Far enough that every day filter that can match at all (29 February on a Monday, every 3 weeks…) matches once. */
const SEARCH_DAYS = 366 * 56;
const DAY_MS = 86_400_000;
/** Days from 0001-01-01 (1C's empty date, a Monday: the origin of day and week periods) to 1970-01-01. */
const DAYS_BEFORE_1970 = 719_162;
const NO_LIMITS: RunLimits = { pauseSeconds: 0, cancelAt: undefined };

/**
 * Checks a schedule given through the API or web.config (fields by English or 1C name, or a JobSchedule) and
 * builds its next-run rule. Cron expressions are parsed by croner, which also decides what cron does at DST changes.
 * @throws ScheduleError naming the bad field, the bad value and the expected form.
 */
export function checkSchedule(input: unknown): CheckedSchedule {
  const checked = checkFields(input);
  rules.set(checked.schedule, checked);
  return checked;
}

/**
 * The rule {@link checkSchedule} built for each schedule object it returned: a store handed that same object back
 * (a job declared in web.config, checked at start-up, then armed) reuses it instead of parsing the schedule again.
 */
const rules = new WeakMap<ScheduledJobSchedule, CheckedSchedule>();

function checkFields(input: unknown): CheckedSchedule {
  const data =
    typeof (input as { toJSON?: unknown })?.toJSON === 'function'
      ? (input as { toJSON(): unknown }).toJSON()
      : input;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ScheduleError(
      `schedule must be an object ({ cron } or 1C-style fields such as repeatPeriodSeconds), got ${describeValue(input)}`,
    );
  }
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    const field = FIELDS.includes(name) ? name : englishName(ALIASES.schedule, name);
    if (field === undefined) {
      const hint = didYouMean(name, [...FIELDS, ...Object.values(ALIASES.schedule).flat()]);
      throw new ScheduleError(
        `schedule has an unknown field ${JSON.stringify(name)}${hint ? ` (${hint})` : ''}; expected ${FIELDS.join(', ')} or their 1C names`,
      );
    }
    fields[field] = field === 'cron' || field === 'timezone' ? value : checkField(field as DailyField, value);
  }
  const timezone = fields.timezone === undefined ? undefined : checkTimeZone(fields.timezone);
  const zone = timezone ?? localTimeZone();
  const daily = DAILY_FIELDS.filter((field) => fields[field] !== undefined);
  if (fields.cron !== undefined) {
    if (daily.length > 0) {
      throw new ScheduleError(
        `schedule takes cron or 1C-style fields, not both: it has cron and ${daily.join(', ')}`,
      );
    }
    return cronSchedule(fields.cron, timezone, zone);
  }
  if (daily.length === 0) {
    throw new ScheduleError(`schedule is empty: give cron, or at least one of ${DAILY_FIELDS.join(', ')}`);
  }
  const schedule = Object.fromEntries([
    ...daily.map((field) => [field, fields[field]]),
    ...(timezone === undefined ? [] : [['timezone', timezone]]),
  ]) as DailySchedule;
  return dailySchedule(schedule, zone);
}

/**
 * Checks one field of a schedule alone, as a {@link JobSchedule} does on assignment; `undefined` for "not set".
 * @throws ScheduleError naming the field, the value and the expected form.
 */
export function checkScheduleField(field: (typeof SCHEDULE_FIELDS)[number], value: unknown): unknown {
  if (value === undefined) return undefined;
  if (field === 'timezone') return checkTimeZone(value);
  if (field === 'cron')
    return (cronSchedule(value, undefined, localTimeZone()).schedule as CronSchedule).cron;
  return checkField(field, value);
}

/**
 * A schedule that was checked when it was written, as a store gives it back: its rule is built on first use, so
 * the copies a store hands out (one with every run) parse nothing they are not asked about.
 */
export function storedSchedule(schedule: ScheduledJobSchedule): CheckedSchedule {
  let rule = rules.get(schedule);
  const built = (): CheckedSchedule => (rule ??= checkSchedule(schedule));
  return {
    schedule,
    nextRunAfter: (after, lastEnded) => built().nextRunAfter(after, lastEnded),
    limitsAt: (due) => built().limitsAt(due),
  };
}

function cronSchedule(cron: unknown, timezone: string | undefined, zone: string): CheckedSchedule {
  if (typeof cron !== 'string') throw new ScheduleError(`cron must be a string, got ${describeValue(cron)}`);
  let parsed: Cron;
  try {
    parsed = new Cron(cron, { timezone: zone, paused: true, mode: '5-or-6-parts' });
  } catch (error) {
    throw new ScheduleError(
      `cron ${JSON.stringify(cron)} is not a cron expression (${(error as Error).message}); expected five fields, or six with seconds first, e.g. "*/5 * * * *"`,
    );
  }
  const schedule: CronSchedule = timezone === undefined ? { cron } : { cron, timezone };
  const checked: CheckedSchedule = {
    schedule,
    nextRunAfter: (after) => parsed.nextRun(after) ?? undefined,
    limitsAt: () => NO_LIMITS,
  };
  return neverRunsCheck(checked, `cron ${JSON.stringify(cron)}`);
}

/** A window of the day, its times in seconds since midnight. */
interface Window {
  readonly begin: number;
  readonly end: number;
  /** `endTime` before `beginTime`: the window ends the next day (22:00 to 02:00). */
  readonly crossesMidnight: boolean;
  readonly period: number | undefined;
  readonly pause: number;
  readonly completionTime: number | undefined;
  readonly completionInterval: number | undefined;
}

function dailySchedule(schedule: DailySchedule, zone: string): CheckedSchedule {
  const own = WINDOW_FIELDS.filter((field) => schedule[field] !== undefined);
  if (schedule.detailedDailySchedules !== undefined && own.length > 0) {
    throw new ScheduleError(
      `schedule takes detailedDailySchedules or the day's own times, not both: it has detailedDailySchedules and ${own.join(', ')}`,
    );
  }
  if (schedule.beginDate && schedule.endDate && schedule.endDate < schedule.beginDate) {
    throw new ScheduleError(
      `endDate "${schedule.endDate}" is before beginDate "${schedule.beginDate}"; the schedule would never run`,
    );
  }
  const windows = (schedule.detailedDailySchedules ?? [schedule]).map(windowOf);
  const acrossMidnight = windows.some((window) => window.crossesMidnight);
  const first = schedule.beginDate === undefined ? undefined : dateIndex(schedule.beginDate);
  const last = schedule.endDate === undefined ? undefined : dateIndex(schedule.endDate);
  const matches = dayFilter(schedule, first, last);
  /** The first and the last instant of `window` on `day`. */
  const span = (window: Window, day: ZonedDay): [number, number] => [
    instantAt(day, window.begin, zone),
    instantAt(window.crossesMidnight ? nextDay(day) : day, window.end, zone, true),
  ];
  /**
   * The first run of `window` on `day` at or after `from`. A day's runs are counted in elapsed time from its begin
   * instant, so a repeat keeps its period through a DST change (no run doubled, none lost); a single daily run at a
   * time the clocks pass twice runs once.
   */
  const runIn = (window: Window, day: ZonedDay, from: number): number | undefined => {
    const begin = instantAt(day, window.begin, zone);
    if (begin >= from) return begin;
    if (window.period === undefined) return undefined;
    const step = window.period * 1000;
    const next = begin + Math.ceil((from - begin) / step) * step;
    return next <= span(window, day)[1] ? next : undefined;
  };
  const nextRunAfter = (after: Date, lastEnded?: Date): Date | undefined => {
    // From the day before when a window crosses midnight: it may still be open.
    let day = nextDay(zonedDay(after.getTime(), zone), acrossMidnight ? -1 : 0);
    if (first !== undefined && indexOf(day) < first) day = dayAt(first);
    let found: number | undefined;
    // Once a day has a run, a window across midnight may give the next day an earlier one.
    for (
      let searched = 0, left = acrossMidnight ? 2 : 1;
      searched < SEARCH_DAYS;
      searched += 1, day = nextDay(day)
    ) {
      if ((last !== undefined && indexOf(day) > last) || (found !== undefined && --left === 0)) break;
      if (!matches(day)) continue;
      for (const window of windows) {
        // 1C: ПаузаПовтора, a pause after the previous run ended; the runs stay on their period's grid.
        const pause = lastEnded === undefined ? -Infinity : lastEnded.getTime() + window.pause * 1000;
        const run = runIn(window, day, Math.max(after.getTime() + 1, pause));
        if (run !== undefined && (found === undefined || run < found)) found = run;
      }
    }
    return found === undefined ? undefined : new Date(found);
  };
  const limitsAt = (due: Date): RunLimits => {
    const at = due.getTime();
    const today = zonedDay(at, zone);
    for (const day of [nextDay(today, -1), today].filter(matches)) {
      for (const window of windows) {
        const [begin, end] = span(window, day);
        if (begin <= at && at <= end) return limitsOf(window, day, at, zone);
      }
    }
    // A run outside every window (runNow()) keeps only the interval, which counts from its start.
    return windows.length === 1
      ? limitsOf({ ...windows[0], completionTime: undefined }, today, at, zone)
      : NO_LIMITS;
  };
  return neverRunsCheck({ schedule, nextRunAfter, limitsAt }, 'the schedule');
}

function windowOf(window: DailyWindow): Window {
  const begin = window.beginTime === undefined ? 0 : secondOfDay(window.beginTime);
  const end = window.endTime === undefined ? SECONDS_PER_DAY - 1 : secondOfDay(window.endTime);
  return {
    begin,
    end,
    crossesMidnight: end < begin,
    period: window.repeatPeriodSeconds,
    pause: window.repeatPause ?? 0,
    completionTime: window.completionTime === undefined ? undefined : secondOfDay(window.completionTime),
    completionInterval: window.completionInterval,
  };
}

/**
 * 1C: ВремяЗавершения and ИнтервалЗавершения, "after which the run is completed by force": the earlier of the
 * window's completion time (the next day's when it is before the window's begin) and the run's start plus the
 * interval. A completion time already past when the run is due does not limit it.
 */
function limitsOf(window: Window, day: ZonedDay, at: number, zone: string): RunLimits {
  const ends: number[] = [];
  if (window.completionInterval !== undefined) ends.push(at + window.completionInterval * 1000);
  if (window.completionTime !== undefined) {
    const completion = instantAt(
      window.completionTime < window.begin ? nextDay(day) : day,
      window.completionTime,
      zone,
    );
    if (completion > at) ends.push(completion);
  }
  return {
    pauseSeconds: window.pause,
    cancelAt: ends.length === 0 ? undefined : new Date(Math.min(...ends)),
  };
}

/**
 * Whether a day matches every filter of the schedule, as БСП's model of 1C's schedule reads them
 * (НапоминанияПользователяСлужебный.БлижайшаяДатаСобытияПоРасписанию): a negative day of the month counts from the
 * month's end (−1 the last day); ДеньНеделиВМесяце n is the n-th seven days of the month (with ДниНедели, the n-th
 * Monday…), negative from its end; day and week periods count from ДатаНачала (weeks from Monday to Sunday).
 * Without ДатаНачала they count from 0001-01-01, 1C's empty date, so every instance and every start agree.
 */
function dayFilter(
  schedule: DailySchedule,
  first: number | undefined,
  last: number | undefined,
): (day: ZonedDay) => boolean {
  const origin = first ?? 0;
  const { weekDays, months, daysOfMonth, weekDayInMonth, daysRepeatPeriod, weeksPeriod } = schedule;
  return (day) => {
    const index = indexOf(day);
    const fromEnd = new Date(Date.UTC(day.year, day.month, 0)).getUTCDate() - day.day + 1;
    return (
      (first === undefined || index >= first) &&
      (last === undefined || index <= last) &&
      (weekDays?.includes(day.weekDay) ?? true) &&
      (months?.includes(day.month) ?? true) &&
      (daysOfMonth?.some((wanted) => wanted === (wanted > 0 ? day.day : -fromEnd)) ?? true) &&
      (weekDayInMonth === undefined ||
        weekDayInMonth === (weekDayInMonth > 0 ? Math.ceil(day.day / 7) : -Math.ceil(fromEnd / 7))) &&
      (daysRepeatPeriod === undefined || modulo(index - origin, daysRepeatPeriod) === 0) &&
      (weeksPeriod === undefined || modulo(Math.floor(index / 7) - Math.floor(origin / 7), weeksPeriod) === 0)
    );
  };
}

function modulo(value: number, by: number): number {
  return ((value % by) + by) % by;
}

/** Days since 0001-01-01 of a calendar day. */
function indexOf(day: ZonedDay): number {
  const date = new Date(0);
  date.setUTCFullYear(day.year, day.month - 1, day.day);
  return Math.round(date.getTime() / DAY_MS) + DAYS_BEFORE_1970;
}

/** Days since 0001-01-01 of a `YYYY-MM-DD` date. */
function dateIndex(date: string): number {
  const [year, month, day] = date.split('-').map(Number);
  return indexOf({ year, month, day, weekDay: 0 });
}

function dayAt(index: number): ZonedDay {
  return zonedDay((index - DAYS_BEFORE_1970) * DAY_MS, 'UTC');
}

/** A schedule that matches no day at all (31 February, an end date past) is a mistake worth stopping for. */
function neverRunsCheck(checked: CheckedSchedule, what: string): CheckedSchedule {
  if (checked.nextRunAfter(new Date()) === undefined) {
    throw new ScheduleError(
      `${what} never runs: no day from now on matches it; check its days, months and dates`,
    );
  }
  return checked;
}

function checkTimeZone(value: unknown): string {
  if (typeof value === 'string' && isTimeZone(value)) return value;
  throw new ScheduleError(
    `timezone must be an IANA time zone such as "Europe/Moscow" or "UTC", got ${describeValue(value)}`,
  );
}
