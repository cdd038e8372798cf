import { Cron } from 'croner';
import { ALIASES, type AliasMembers, englishName } from '../compat/aliases';
import { describeValue } from '../errors';
import { instantAt, isTimeZone, localTimeZone, nextDay, type ZonedDay, zonedDay } from './zonedTime';

/** A cron expression: five fields, or six with seconds first (`*&#47;5 * * * *`, `0 30 3 * * 1-5`). */
export interface CronSchedule {
  readonly cron: string;
  /** IANA time zone the expression reads in (`Europe/Moscow`). Default: the process's own. */
  readonly timezone?: string;
}

/**
 * A 1C-style schedule (1C: РасписаниеРегламентногоЗадания): on the days that match every given filter, once at
 * `beginTime`, or every `repeatPeriodSeconds` from `beginTime` to `endTime`.
 */
export interface DailySchedule {
  /** Seconds between runs within a day (1C: ПериодПовтораВТечениеДня). Default: one run a day. */
  readonly repeatPeriodSeconds?: number;
  /** `HH:MM` or `HH:MM:SS`, the day's first run (1C: ВремяНачала). Default `00:00:00`. */
  readonly beginTime?: string;
  /** `HH:MM` or `HH:MM:SS`, no run after it (1C: ВремяКонца). Default `23:59:59`. */
  readonly endTime?: string;
  /** Days of the week, 1 Monday … 7 Sunday (1C: ДниНедели). Default: all. */
  readonly weekDays?: readonly number[];
  /** Months, 1 … 12 (1C: Месяцы). Default: all. */
  readonly months?: readonly number[];
  /** Days of the month, 1 … 31 (1C: ДеньВМесяце). Default: all. */
  readonly daysOfMonth?: readonly number[];
  /** IANA time zone the times read in. Default: the process's own. */
  readonly timezone?: string;
}

/** When a scheduled job runs: a cron expression or a 1C-style schedule. */
export type ScheduledJobSchedule = CronSchedule | DailySchedule;

/** A 1C-style schedule with its fields by their 1C names (`{ ПериодПовтораВТечениеДня: 60, ВремяНачала: '08:00' }`). */
export type DailySchedule1C = Partial<
  AliasMembers<Required<Omit<DailySchedule, 'timezone'>>, typeof ALIASES.schedule>
> & { readonly timezone?: string };

/** What a schedule may be given as: {@link ScheduledJobSchedule}, or a 1C-style one by 1C names. */
export type ScheduleInput = ScheduledJobSchedule | DailySchedule1C;

/** A schedule whose every field has been checked, and the next-run rule built from it. */
export interface CheckedSchedule {
  /** The schedule as plain data (JSON), fields in their English names. */
  readonly schedule: ScheduledJobSchedule;
  /** The first run strictly after `after`, or `undefined` when the schedule never runs again. */
  readonly nextRunAfter: (after: Date) => Date | undefined;
}

const DAILY_FIELDS = [
  'repeatPeriodSeconds',
  'beginTime',
  'endTime',
  'weekDays',
  'months',
  'daysOfMonth',
] as const;
/** Every field a schedule may have, in English. */
export const SCHEDULE_FIELDS = ['cron', 'timezone', ...DAILY_FIELDS] as const;
const FIELDS: readonly string[] = SCHEDULE_FIELDS;
/** The largest value of each list of a 1C-style schedule; the smallest is 1. */
export const LIST_MAXIMA = { weekDays: 7, months: 12, daysOfMonth: 31 } as const;
const SECONDS_PER_DAY = 86_400;
/** Far enough that every day filter that can match at all (29 February on a Monday…) matches once. */
const SEARCH_DAYS = 366 * 28;

/**
 * A field of a scheduled job (its schedule, its params) that is wrong: the message names the field and what it
 * takes; callers add which job and where.
 */
export class ScheduleError extends Error {}

/**
 * Checks a schedule given through the API or web.config (fields by English or 1C name) and builds its next-run
 * rule. Cron expressions are parsed by croner, which also decides what cron does at DST changes.
 * @throws ScheduleError naming the bad field, the bad value and the expected form.
 */
export function checkSchedule(input: unknown): CheckedSchedule {
  const checked = checkFields(input);
  rules.set(checked.schedule, checked.nextRunAfter);
  return checked;
}

/**
 * The rule {@link checkSchedule} built for each schedule object it returned: a store handed that same object back
 * (a job declared in web.config, checked at start-up, then armed) reuses it instead of parsing the schedule again.
 */
const rules = new WeakMap<ScheduledJobSchedule, CheckedSchedule['nextRunAfter']>();

function checkFields(input: unknown): CheckedSchedule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ScheduleError(
      `schedule must be an object ({ cron } or 1C-style fields such as repeatPeriodSeconds), got ${describeValue(input)}`,
    );
  }
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const field = FIELDS.includes(name) ? name : englishName(ALIASES.schedule, name);
    if (field === undefined) {
      throw new ScheduleError(
        `schedule has an unknown field ${JSON.stringify(name)}; expected ${FIELDS.join(', ')}`,
      );
    }
    if (value !== undefined) fields[field] = value;
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
  return dailySchedule(fields, timezone, zone);
}

/**
 * A schedule that was checked when it was written, as a store gives it back: its rule is built on first use, so
 * the copies a store hands out (one with every run) parse nothing they are not asked about.
 */
export function storedSchedule(schedule: ScheduledJobSchedule): CheckedSchedule {
  let rule = rules.get(schedule);
  return { schedule, nextRunAfter: (after) => (rule ??= checkSchedule(schedule).nextRunAfter)(after) };
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
  const checked = { schedule, nextRunAfter: (after: Date) => parsed.nextRun(after) ?? undefined };
  return neverRunsCheck(checked, `cron ${JSON.stringify(cron)}`);
}

function dailySchedule(
  fields: Record<string, unknown>,
  timezone: string | undefined,
  zone: string,
): CheckedSchedule {
  const period =
    fields.repeatPeriodSeconds === undefined
      ? undefined
      : checkInteger(fields.repeatPeriodSeconds, 'repeatPeriodSeconds', 1, SECONDS_PER_DAY);
  const begin = fields.beginTime === undefined ? 0 : checkTime(fields.beginTime, 'beginTime');
  const end = fields.endTime === undefined ? SECONDS_PER_DAY - 1 : checkTime(fields.endTime, 'endTime');
  if (end < begin) {
    throw new ScheduleError(
      `endTime ${JSON.stringify(fields.endTime)} is before beginTime ${JSON.stringify(fields.beginTime)}; a schedule's runs stay within one day`,
    );
  }
  const weekDays = checkList(fields.weekDays, 'weekDays', LIST_MAXIMA.weekDays);
  const months = checkList(fields.months, 'months', LIST_MAXIMA.months);
  const daysOfMonth = checkList(fields.daysOfMonth, 'daysOfMonth', LIST_MAXIMA.daysOfMonth);
  const schedule: DailySchedule = {
    ...(period !== undefined && { repeatPeriodSeconds: period }),
    ...(fields.beginTime !== undefined && { beginTime: timeText(begin) }),
    ...(fields.endTime !== undefined && { endTime: timeText(end) }),
    ...(weekDays && { weekDays }),
    ...(months && { months }),
    ...(daysOfMonth && { daysOfMonth }),
    ...(timezone !== undefined && { timezone }),
  };
  const matches = (day: ZonedDay): boolean =>
    (weekDays?.includes(day.weekDay) ?? true) &&
    (months?.includes(day.month) ?? true) &&
    (daysOfMonth?.includes(day.day) ?? true);
  /**
   * A day's runs are counted in elapsed time from its begin instant, so a repeat keeps its period through a DST
   * change (no run doubled, none lost); a single daily run at a time the clocks pass twice runs once.
   */
  const nextRunAfter = (after: Date): Date | undefined => {
    let day = zonedDay(after.getTime(), zone);
    for (let searched = 0; searched < SEARCH_DAYS; searched += 1, day = nextDay(day)) {
      if (!matches(day)) continue;
      const first = instantAt(day, begin, zone);
      if (first > after.getTime()) return new Date(first);
      if (period === undefined) continue;
      const last = instantAt(day, end, zone, true);
      const steps = Math.floor((after.getTime() - first) / (period * 1000)) + 1;
      const next = first + steps * period * 1000;
      if (next <= last) return new Date(next);
    }
    return undefined;
  };
  return neverRunsCheck({ schedule, nextRunAfter }, 'the schedule');
}

/** A schedule that matches no day at all (31 February) is a mistake worth stopping for. */
function neverRunsCheck(checked: CheckedSchedule, what: string): CheckedSchedule {
  if (checked.nextRunAfter(new Date()) === undefined) {
    throw new ScheduleError(`${what} never runs: no day matches it; check its days and months`);
  }
  return checked;
}

function checkTimeZone(value: unknown): string {
  if (typeof value === 'string' && isTimeZone(value)) return value;
  throw new ScheduleError(
    `timezone must be an IANA time zone such as "Europe/Moscow" or "UTC", got ${describeValue(value)}`,
  );
}

function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw new ScheduleError(`${field} must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
}

/** Seconds since midnight of `HH:MM` or `HH:MM:SS`. */
function checkTime(value: unknown, field: string): number {
  const match = typeof value === 'string' ? /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim()) : null;
  const [hours, minutes, seconds] = (match?.slice(1) ?? []).map((part) => Number(part ?? 0));
  if (match === null || hours > 23 || minutes > 59 || seconds > 59) {
    throw new ScheduleError(
      `${field} must be a time of day "HH:MM" or "HH:MM:SS", got ${describeValue(value)}`,
    );
  }
  return hours * 3600 + minutes * 60 + seconds;
}

function timeText(secondOfDay: number): string {
  const parts = [Math.floor(secondOfDay / 3600), Math.floor(secondOfDay / 60) % 60, secondOfDay % 60];
  return parts.map((part) => String(part).padStart(2, '0')).join(':');
}

function checkList(value: unknown, field: string, max: number): number[] | undefined {
  if (value === undefined) return undefined;
  const expected = `a non-empty array of integers from 1 to ${max}`;
  if (!Array.isArray(value) || value.length === 0) {
    throw new ScheduleError(`${field} must be ${expected}, got ${describeValue(value)}`);
  }
  for (const item of value) {
    if (!Number.isInteger(item) || item < 1 || item > max) {
      throw new ScheduleError(`${field} must be ${expected}; ${describeValue(item)} is not`);
    }
  }
  return [...new Set(value as number[])].sort((a, b) => a - b);
}
