import { type DailySchedule, type DailyWindow, SECONDS_PER_DAY, secondOfDay } from './dailyScheduleFields';
import { parsedCron } from './parsedCron';
import { instantAt, nextDay, type ZonedDay, zonedDay } from './zonedTime';

/**
 * The next-run rule of a schedule whose fields are checked (checkSchedule.ts checks them and builds it): when a
 * cron expression or a 1C-style schedule runs next, and what a run it starts must respect.
 */

/** A cron expression: five fields, or six with seconds first (`*&#47;5 * * * *`, `0 30 3 * * 1-5`). */
export interface CronSchedule {
  readonly cron: string;
  /** IANA time zone the expression reads in (`Europe/Moscow`). Default: the process's own. */
  readonly timezone?: string;
}

/** When a scheduled job runs: a cron expression or a 1C-style schedule. */
export type ScheduledJobSchedule = CronSchedule | DailySchedule;

/** What a run started by a schedule must respect, from the window it is due in. */
export interface RunLimits {
  /** Seconds that must pass after the previous run ended (1C: ПаузаПовтора); 0 when none. */
  readonly pauseSeconds: number;
  /** When the run is cancelled if still active (1C: ВремяЗавершения). */
  readonly cancelAt: Date | undefined;
  /** Seconds after its start the run is cancelled if still active (1C: ИнтервалЗавершения). */
  readonly runSeconds: number | undefined;
}

/** A schedule whose every field has been checked, and the next-run rule built from it. */
export interface ScheduleRule {
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

/** Far enough that every day filter that can match at all (29 February on a Monday, every 3 weeks…) matches once. */
const SEARCH_DAYS = 366 * 56;
const DAY_MS = 86_400_000;
/** Days from 0001-01-01 (1C's empty date, a Monday: the origin of day and week periods) to 1970-01-01. */
const DAYS_BEFORE_1970 = 719_162;
const NO_LIMITS: RunLimits = { pauseSeconds: 0, cancelAt: undefined, runSeconds: undefined };

/**
 * The rule of a cron expression read in `zone`, checked already: a run limited by nothing. It keeps no parsed
 * expression of its own (see parsedCron.ts).
 */
export function cronRule(schedule: CronSchedule, zone: string): ScheduleRule {
  return {
    schedule,
    nextRunAfter: (after) => parsedCron(schedule.cron, zone).nextRun(after) ?? undefined,
    limitsAt: () => NO_LIMITS,
  };
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

/**
 * The rule of a 1C-style schedule read in `zone`: on the days its filters match, the runs of each window of the day
 * (its own times, or each of detailedDailySchedules).
 */
export function dailyRule(schedule: DailySchedule, zone: string): ScheduleRule {
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
  return { schedule, nextRunAfter, limitsAt };
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
 * 1C: ВремяЗавершения and ИнтервалЗавершения, "after which the run is completed by force": the window's completion
 * time (the next day's when it is before the window's begin), and the interval, which counts from the run's start
 * (a run may start after it was due: queued, or taken late by a worker). A completion time already past when the run
 * is due does not limit it.
 */
function limitsOf(window: Window, day: ZonedDay, at: number, zone: string): RunLimits {
  const completion =
    window.completionTime === undefined
      ? undefined
      : instantAt(window.completionTime < window.begin ? nextDay(day) : day, window.completionTime, zone);
  return {
    pauseSeconds: window.pause,
    cancelAt: completion !== undefined && completion > at ? new Date(completion) : undefined,
    runSeconds: window.completionInterval,
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
