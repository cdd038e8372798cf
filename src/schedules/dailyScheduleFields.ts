import { ALIASES, englishName } from '../compat/aliases';
import { describeValue } from '../errors';
import { fieldError, withPrefix } from './fieldError';

/**
 * The fields of a 1C-style schedule, one by one: what each takes and the form it is kept in. A field is checked
 * alone here (when it is assigned to a {@link JobSchedule}, or read from a schedule given as data); what involves
 * several fields (cron and 1C fields together, a schedule that never runs) is checked in `scheduleRule.ts`.
 *
 * 1C keeps the value "not used" as zero, an empty array or the empty date `'00010101'`
 * (РасписаниеРегламентногоЗадания; БСП resets fields so: `Расписание.ПаузаПовтора = 0`,
 * `Расписание.ДатаНачала = '00010101'` in the report mailing form), so those read as "not set" here too.
 */

/** The part of a schedule that says when in a day it runs (1C: an element of ДетальныеРасписанияДня). */
export interface DailyWindow {
  /** Seconds between runs within the window (1C: ПериодПовтораВТечениеДня). Default: one run a day. */
  readonly repeatPeriodSeconds?: number;
  /** `HH:MM:SS`, the window's first run (1C: ВремяНачала). Default `00:00:00`. */
  readonly beginTime?: string;
  /** `HH:MM:SS`, no run after it; before `beginTime`, the window ends the next day (1C: ВремяКонца). Default: the day's end. */
  readonly endTime?: string;
  /** Seconds a run waits after the previous run ended (1C: ПаузаПовтора). */
  readonly repeatPause?: number;
  /** `HH:MM:SS`: a run still active then is cancelled (1C: ВремяЗавершения). */
  readonly completionTime?: string;
  /** Seconds after its start a run still active is cancelled (1C: ИнтервалЗавершения). */
  readonly completionInterval?: number;
}

/**
 * A 1C-style schedule as kept and sent (1C: РасписаниеРегламентногоЗадания): on the days that match every given
 * filter, once at `beginTime`, or every `repeatPeriodSeconds` from `beginTime` to `endTime`.
 */
export interface DailySchedule extends DailyWindow {
  /** Days of the week, 1 Monday … 7 Sunday (1C: ДниНедели). Default: all. */
  readonly weekDays?: readonly number[];
  /** Months, 1 … 12 (1C: Месяцы). Default: all. */
  readonly months?: readonly number[];
  /** Days of the month, 1 … 31, or −1 … −31 counted from the month's end (1C: ДеньВМесяце). Default: all. */
  readonly daysOfMonth?: readonly number[];
  /** `YYYY-MM-DD`, the first day it runs (1C: ДатаНачала). */
  readonly beginDate?: string;
  /** `YYYY-MM-DD`, the last day it runs (1C: ДатаКонца). */
  readonly endDate?: string;
  /** Runs every this many days, counted from `beginDate` or else from 0001-01-01 (1C: ПериодПовтораДней). */
  readonly daysRepeatPeriod?: number;
  /** Runs every this many weeks (Monday to Sunday), counted as `daysRepeatPeriod` (1C: ПериодНедель). */
  readonly weeksPeriod?: number;
  /** 1 … 5: the n-th seven days of the month; −1 … −5 counted from its end (1C: ДеньНеделиВМесяце). */
  readonly weekDayInMonth?: number;
  /** Windows of the day, each with its own times, instead of the schedule's own (1C: ДетальныеРасписанияДня). */
  readonly detailedDailySchedules?: readonly DailyWindow[];
  /** IANA time zone the times read in. Default: the process's own. */
  readonly timezone?: string;
}

/** A time of day as given: `HH:MM[:SS]`, a 1C date literal `'00010101030000'`, or a `Date` (its time counts). */
export type TimeInput = string | Date;

/** A window as given: times as {@link TimeInput}. */
export type DailyWindowInput = {
  readonly [K in keyof DailyWindow]?: K extends `${string}Time` ? TimeInput : DailyWindow[K];
};

/** A 1C-style schedule as given, fields by their English names (1C names: `ALIASES.schedule` in src/compat/aliases.ts). */
export type DailyScheduleInput = Omit<
  DailySchedule,
  keyof DailyWindow | 'beginDate' | 'endDate' | 'daysOfMonth' | 'detailedDailySchedules'
> &
  DailyWindowInput & {
    /** `YYYY-MM-DD`, a 1C date literal `'20260101'`, or a `Date` (its calendar day). */
    readonly beginDate?: string | Date;
    readonly endDate?: string | Date;
    /** One day, as 1C's ДеньВМесяце, or a list. */
    readonly daysOfMonth?: number | readonly number[];
    readonly detailedDailySchedules?: readonly (DailyWindowInput | { toJSON(): DailyWindow })[];
  };

/** The fields of a window, in English. */
export const WINDOW_FIELDS = [
  'repeatPeriodSeconds',
  'beginTime',
  'endTime',
  'repeatPause',
  'completionTime',
  'completionInterval',
] as const;

/** Every field of a 1C-style schedule, in English, in the order its text and its docs list them. */
export const DAILY_FIELDS = [
  'repeatPeriodSeconds',
  'beginTime',
  'endTime',
  'weekDays',
  'months',
  'daysOfMonth',
  'beginDate',
  'endDate',
  'daysRepeatPeriod',
  'weeksPeriod',
  'weekDayInMonth',
  'repeatPause',
  'completionTime',
  'completionInterval',
  'detailedDailySchedules',
] as const;

export type DailyField = (typeof DAILY_FIELDS)[number];

/** The fields that are numbers (0: not used, as in 1C). */
export const NUMBER_FIELDS: readonly DailyField[] = [
  'repeatPeriodSeconds',
  'daysRepeatPeriod',
  'weeksPeriod',
  'weekDayInMonth',
  'repeatPause',
  'completionInterval',
];

/** The largest value of each list of a 1C-style schedule; the smallest is 1 (days of the month: also −31 … −1). */
export const LIST_MAXIMA = { weekDays: 7, months: 12, daysOfMonth: 31 } as const;
export const SECONDS_PER_DAY = 86_400;
/** The longest day and week periods: ten years. */
const MAX_DAYS_PERIOD = 3660;
const MAX_WEEKS_PERIOD = 520;
/**
 * The most windows of the day a schedule takes. Each check of the next run walks every window (about 0.1 ms
 * each, on the main thread, at every tick): 100 keeps it near 15 ms. More runs in a day come from a window's
 * repeatPeriodSeconds, not from more windows.
 */
export const MAX_DAILY_WINDOWS = 100;

/**
 * Checks one field of a 1C-style schedule and gives it in the form it is kept in; `undefined` when the value says
 * "not set" (undefined, 0, an empty list, 1C's empty date).
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming the field, the value and the expected form.
 */
export function checkField(field: DailyField, value: unknown): unknown {
  if (value === undefined) return undefined;
  switch (field) {
    case 'beginTime':
    case 'endTime':
    case 'completionTime':
      return checkTime(value, field);
    case 'repeatPeriodSeconds':
    case 'repeatPause':
      return checkCount(value, field, SECONDS_PER_DAY);
    case 'completionInterval':
      // A timer cancels the run: setTimeout waits at most 2^31 − 1 ms, 24 days and a bit.
      return checkCount(value, field, SECONDS_PER_DAY * 24);
    case 'daysRepeatPeriod':
      return checkCount(value, field, MAX_DAYS_PERIOD);
    case 'weeksPeriod':
      return checkCount(value, field, MAX_WEEKS_PERIOD);
    case 'weekDays':
    case 'months':
      return checkList(value, field, LIST_MAXIMA[field], false);
    case 'daysOfMonth':
      return checkList(typeof value === 'number' ? [value].filter(Boolean) : value, field, 31, true);
    case 'weekDayInMonth':
      return checkWeekInMonth(value);
    case 'beginDate':
    case 'endDate':
      return checkDate(value, field);
    case 'detailedDailySchedules':
      return checkWindows(value);
  }
}

/** Seconds since midnight of a time kept as `HH:MM:SS`. */
export function secondOfDay(time: string): number {
  const [hours, minutes, seconds] = time.split(':').map(Number);
  return hours * 3600 + minutes * 60 + seconds;
}

function checkCount(value: unknown, field: string, max: number): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) {
    return value === 0 ? undefined : value;
  }
  throw fieldError(`${field} must be an integer from 1 to ${max}, got ${describeValue(value)}`);
}

function checkWeekInMonth(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 5) {
    return value === 0 ? undefined : value;
  }
  throw fieldError(
    `weekDayInMonth must be an integer from 1 to 5 (the n-th seven days of the month), or −1 to −5 (counted from its end; 0: not used), got ${describeValue(value)}`,
  );
}

/**
 * `HH:MM`, `HH:MM:SS`, a 1C date literal (`'00010101030000'`) or a `Date`: only the time of day counts, as 1C reads
 * ВремяНачала. A literal or a `Date` at 00:00:00 is 1C's empty time, "not set".
 */
function checkTime(value: unknown, field: string): string | undefined {
  let parts: number[] | undefined;
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    // A 1C time is a wall-clock reading: the Date's own, in the process's zone, as `new Date(1, 0, 1, 3)` was made.
    parts = [value.getHours(), value.getMinutes(), value.getSeconds()];
    if (parts.every((part) => part === 0)) return undefined;
  } else if (typeof value === 'string') {
    const literal = /^\d{8}(\d{2})(\d{2})(\d{2})$/.exec(value.trim());
    const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
    parts = (literal ?? clock)?.slice(1).map((part) => Number(part ?? 0));
    if (literal && parts?.every((part) => part === 0)) return undefined;
  }
  if (parts === undefined || parts[0] > 23 || parts[1] > 59 || parts[2] > 59) {
    throw fieldError(
      `${field} must be a time of day "HH:MM" or "HH:MM:SS", a 1C date literal such as "00010101030000", or a Date, got ${describeValue(value)}`,
    );
  }
  return parts.map((part) => String(part).padStart(2, '0')).join(':');
}

/** `YYYY-MM-DD`, a 1C date literal (`'20260101'`, `'20260101000000'`) or a `Date` (its calendar day, in this process's zone). */
function checkDate(value: unknown, field: string): string | undefined {
  let parts: number[] | undefined;
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    parts = [value.getFullYear(), value.getMonth() + 1, value.getDate()];
  } else if (typeof value === 'string') {
    const match = /^(\d{4})-?(\d{2})-?(\d{2})(?:\d{6})?$/.exec(value.trim());
    parts = match?.slice(1).map(Number);
  }
  const valid =
    parts !== undefined &&
    new Date(Date.UTC(2000, parts[1] - 1, parts[2])).getUTCDate() === parts[2] &&
    parts[1] >= 1 &&
    parts[1] <= 12 &&
    (parts[1] !== 2 || parts[2] !== 29 || isLeap(parts[0]));
  if (!valid) {
    throw fieldError(
      `${field} must be a date "YYYY-MM-DD", a 1C date literal such as "20260101", or a Date, got ${describeValue(value)}`,
    );
  }
  const [year, month, day] = parts!;
  if (year === 1 && month === 1 && day === 1) return undefined; // 1C's empty date
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function checkList(value: unknown, field: string, max: number, negatives: boolean): number[] | undefined {
  const expected = `integers from 1 to ${max}${negatives ? ` or from −${max} to −1 (counted from the end)` : ''}`;
  if (!Array.isArray(value)) {
    throw fieldError(
      `${field} must be an array of ${expected}${negatives ? ', or one of them' : ''}, got ${describeValue(value)}`,
    );
  }
  for (const item of value) {
    const size = typeof item === 'number' ? (negatives ? Math.abs(item) : item) : NaN;
    if (!Number.isInteger(item) || size < 1 || size > max) {
      throw fieldError(`${field} must be an array of ${expected}; ${describeValue(item)} is not`);
    }
  }
  if (value.length === 0) return undefined;
  return [...new Set(value as number[])].sort((a, b) => a - b);
}

/** 1C: ДетальныеРасписанияДня, an array of schedules of which only the time-of-day fields count. */
function checkWindows(value: unknown): DailyWindow[] | undefined {
  if (!Array.isArray(value)) {
    throw fieldError(
      `detailedDailySchedules must be an array of windows ({ beginTime, endTime, repeatPeriodSeconds, … }), got ${describeValue(value)}`,
    );
  }
  if (value.length > MAX_DAILY_WINDOWS) {
    throw fieldError(
      `detailedDailySchedules takes at most ${MAX_DAILY_WINDOWS} windows, got ${value.length}; for more runs in a day, give a window a repeatPeriodSeconds`,
    );
  }
  const windows = value.map((item: unknown, index) => checkWindow(item, `detailedDailySchedules[${index}]`));
  return windows.length === 0 ? undefined : windows;
}

function checkWindow(item: unknown, where: string): DailyWindow {
  const data = hasToJSON(item) ? item.toJSON() : item;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw fieldError(`${where} must be an object of window fields, got ${describeValue(item)}`);
  }
  const window: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    const field = englishName(ALIASES.schedule, name);
    if (field === undefined || !(WINDOW_FIELDS as readonly string[]).includes(field)) {
      throw fieldError(
        `${where} has a field ${JSON.stringify(name)} a window of the day does not take; expected ${WINDOW_FIELDS.join(', ')}`,
      );
    }
    const checked = withPrefix(`${where}.`, () => checkField(field as DailyField, value));
    if (checked !== undefined) window[field] = checked;
  }
  return window;
}

function hasToJSON(value: unknown): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function' && !(value instanceof Date);
}
