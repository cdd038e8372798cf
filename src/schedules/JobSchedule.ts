import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { checkSchedule, checkScheduleField, SCHEDULE_FIELDS, type ScheduleInput } from './checkSchedule';
import { type DailyWindowInput, NUMBER_FIELDS, type TimeInput } from './dailyScheduleFields';
import { withPrefix } from './fieldError';
import type { ScheduledJobSchedule, ScheduleRule } from './scheduleRule';
import { type ScheduleLanguage, scheduleText } from './scheduleText';

/**
 * The fields of a schedule object. Each takes what a schedule given as data takes and reads back in the form kept:
 * times `HH:MM:SS`, dates `YYYY-MM-DD`, lists sorted. A field not set reads as 1C's: 0 for a number, `[]` for a
 * list, `undefined` for a time, a date, `cron` and `timezone`.
 */
export interface JobScheduleFields {
  /** A cron expression instead of the 1C fields. */
  cron: string | undefined;
  /** IANA time zone the times read in. */
  timezone: string | undefined;
  repeatPeriodSeconds: number;
  beginTime: TimeInput | undefined;
  endTime: TimeInput | undefined;
  weekDays: readonly number[];
  months: readonly number[];
  /** One day (1C's ДеньВМесяце) or a list; reads back as a list. */
  daysOfMonth: number | readonly number[];
  beginDate: string | Date | undefined;
  endDate: string | Date | undefined;
  daysRepeatPeriod: number;
  weeksPeriod: number;
  weekDayInMonth: number;
  repeatPause: number;
  completionTime: TimeInput | undefined;
  completionInterval: number;
  /** Reads back as plain windows. */
  detailedDailySchedules: readonly (DailyWindowInput | JobSchedule)[];
}

/** The 1C names of the fields (`Р.ПериодПовтораДней = 1`, `Р.ВремяНачала = '03:00'`). */
export interface JobSchedule
  extends
    JobScheduleFields,
    AliasMembers<JobScheduleFields, typeof ALIASES.schedule, keyof typeof ALIASES.schedule> {}

const LISTS = new Set(['weekDays', 'months', 'daysOfMonth', 'detailedDailySchedules']);
const WHAT_1C = 'РасписаниеРегламентногоЗадания';
const WHAT = `a schedule (${WHAT_1C})`;

/** @internal Where a schedule read from a scheduled job sends each change: the job checks and keeps it. */
type Owner = (next: ScheduledJobSchedule) => void;

/** @internal A schedule object over `schedule` whose changes go to `owner`; set in the class's static block. */
export let boundSchedule: (schedule: ScheduledJobSchedule, owner: Owner) => JobSchedule;

/**
 * A schedule as an object a 1C developer fills field by field (1C: РасписаниеРегламентногоЗадания):
 * `const Р = new РасписаниеРегламентногоЗадания(); Р.ПериодПовтораДней = 1; Р.ВремяНачала = '03:00';
 * Задание.Расписание = Р;`. Each field is checked when assigned, an unknown one is refused, and `String(Р)` is 1C's
 * text of it. Read from a scheduled job (`Задание.Расписание`), it is that job's schedule: assigning a field changes
 * the job's unsaved schedule, as БСП's `Задание.Расписание.ПериодПовтораДней = 1; Задание.Записать()` expects
 * (ЦентрМониторингаСлужебный.УстановитьРасписаниеПоУмолчанию).
 */
export class JobSchedule {
  #fields: Readonly<Record<string, unknown>> = {};
  #owner: Owner | undefined;
  /** The rule built from the fields, until one changes. */
  #rule: ScheduleRule | undefined;

  static {
    boundSchedule = (schedule, owner) => {
      const bound = new JobSchedule();
      bound.#fields = frozen(schedule);
      bound.#owner = owner;
      return bound;
    };
  }

  /**
   * An empty schedule, or one from `init` (`{ cron }`, 1C-style fields by English or 1C names, another schedule).
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming the bad field.
   */
  constructor(init?: ScheduleInput) {
    if (init !== undefined)
      this.#fields = frozen(asArgument('new JobSchedule(init)', init, () => checkSchedule(init).schedule));
  }

  /** The schedule as plain data, fields by their English names: what a store keeps and JSON sends. */
  toJSON(): ScheduledJobSchedule {
    return this.#fields as ScheduledJobSchedule;
  }

  /**
   * 1C's text of the schedule (`Строка(Расписание)`): Russian by default, as 1C gives it, or 1C's English with
   * `'en'`: `Каждый день; с 3:00:00 один раз в день` / `Every day; from 3:00:00 once a day`.
   */
  toString(language: ScheduleLanguage = 'ru'): string {
    return scheduleText(this.toJSON(), language);
  }

  /**
   * The first run strictly after `after`, as a scheduled job on this schedule computes it; with `lastEnded` (when
   * the previous run ended), not before the schedule's `repeatPause` has passed since then. `undefined` when it
   * never runs again.
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for a date that is not a valid Date, or a schedule that is
   *   empty, contradicts itself or never runs.
   */
  nextRunAfter(after: Date, lastEnded?: Date): Date | undefined {
    checkDate('schedule.nextRunAfter(after, lastEnded?)', 'after', after);
    checkDate('schedule.nextRunAfter(after, lastEnded?)', 'lastEnded', lastEnded ?? new Date());
    this.#rule ??= asArgument('Schedule', this.#fields, () => checkSchedule(this.#fields));
    return this.#rule.nextRunAfter(after, lastEnded);
  }

  /** Assigns one field: checked alone, then (for a job's schedule) with the others by the job. */
  #set(field: (typeof SCHEDULE_FIELDS)[number], value: unknown): void {
    const russian = (ALIASES.schedule as Record<string, readonly string[]>)[field]?.[0];
    const name = russian === undefined ? `Schedule field ${field}` : `${WHAT_1C}.${russian} (${field})`;
    const checked = asArgument(name, value, () => checkScheduleField(field, value));
    const next: Record<string, unknown> = { ...this.#fields };
    delete next[field];
    if (checked !== undefined) next[field] = checked;
    this.#owner?.(next as ScheduledJobSchedule);
    this.#fields = frozen(next);
    this.#rule = undefined;
  }

  #get(field: string): unknown {
    const value = this.#fields[field];
    if (value !== undefined) return value;
    return (NUMBER_FIELDS as readonly string[]).includes(field)
      ? 0
      : LISTS.has(field)
        ? Object.freeze([])
        : undefined;
  }

  static {
    for (const field of SCHEDULE_FIELDS) {
      Object.defineProperty(JobSchedule.prototype, field, {
        get(this: JobSchedule) {
          return this.#get(field);
        },
        set(this: JobSchedule, value: unknown) {
          this.#set(field, value);
        },
        enumerable: false,
        configurable: true,
      });
    }
  }
}

applyAliases(JobSchedule.prototype, ALIASES.schedule);
sealMembers(JobSchedule.prototype, WHAT);

/** A copy whose lists (and windows) cannot be changed behind the setters' back. */
function frozen(fields: object): Readonly<Record<string, unknown>> {
  const copy = (value: unknown): unknown =>
    Array.isArray(value)
      ? Object.freeze(value.map(copy))
      : typeof value === 'object' && value !== null
        ? Object.freeze({ ...value })
        : value;
  return Object.freeze(
    Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, copy(value)])),
  );
}

/** Runs `check` over the caller's `value`; what is wrong with it is reported naming the call. */
function asArgument<T>(call: string, value: unknown, check: () => T): T {
  return checkArgument(call, value, () => withPrefix(`${call}: `, check));
}

/**
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming `caller` and the argument `name` when `value` is not a
 *   valid Date (an Invalid Date too: the next run after it has no meaning).
 */
export function checkDate(caller: string, name: string, value: unknown): void {
  if (checkArgument(caller, value, () => value instanceof Date && !Number.isNaN(value.getTime()))) return;
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `${caller}: ${name} must be a valid Date, got ${describeValue(value)}`,
  );
}
