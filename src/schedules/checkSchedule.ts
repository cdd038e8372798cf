import { ALIASES, type AliasMembers, englishName } from '../compat/aliases';
import { typoHint } from '../didYouMean';
import { describeValue } from '../errors';
import {
  checkField,
  DAILY_FIELDS,
  type DailyField,
  type DailySchedule,
  type DailyScheduleInput,
  WINDOW_FIELDS,
} from './dailyScheduleFields';
import { fieldError } from './fieldError';
import { parsedCron } from './parsedCron';
import {
  type CronSchedule,
  cronRule,
  dailyRule,
  type ScheduledJobSchedule,
  type ScheduleRule,
} from './scheduleRule';
import { isTimeZone, localTimeZone } from './zonedTime';

/**
 * A schedule as given (through the API, web.config or a JobSchedule) checked as a whole, and its next-run rule built
 * once: each field is checked by dailyScheduleFields.ts, what involves several fields here, and a schedule that
 * never runs is refused. A store gives back what was checked when written: its rule is rebuilt lazily.
 */

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

/** Every field a schedule may have, in English. */
export const SCHEDULE_FIELDS = ['cron', 'timezone', ...DAILY_FIELDS] as const;
const FIELDS: readonly string[] = SCHEDULE_FIELDS;

/**
 * Checks a schedule given through the API or web.config (fields by English or 1C name, or a JobSchedule) and
 * builds its next-run rule.
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming the bad field, the bad value and the expected form.
 */
export function checkSchedule(input: unknown): ScheduleRule {
  const checked = checkFields(input);
  rules.set(checked.schedule, checked);
  return checked;
}

/**
 * The rule {@link checkSchedule} built for each schedule object it returned: a store handed that same object back
 * (a job declared in web.config, checked at start-up, then armed) reuses it instead of parsing the schedule again.
 */
const rules = new WeakMap<ScheduledJobSchedule, ScheduleRule>();

function checkFields(input: unknown): ScheduleRule {
  const data =
    typeof (input as { toJSON?: unknown })?.toJSON === 'function'
      ? (input as { toJSON(): unknown }).toJSON()
      : input;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw fieldError(
      `schedule must be an object ({ cron } or 1C-style fields such as repeatPeriodSeconds), got ${describeValue(input)}`,
    );
  }
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    const field = FIELDS.includes(name) ? name : englishName(ALIASES.schedule, name);
    if (field === undefined) {
      const hint = typoHint(name, [...FIELDS, ...Object.values(ALIASES.schedule).flat()]);
      throw fieldError(
        `schedule has an unknown field ${JSON.stringify(name)}${hint}; expected ${FIELDS.join(', ')} or their 1C names`,
      );
    }
    fields[field] = field === 'cron' || field === 'timezone' ? value : checkField(field as DailyField, value);
  }
  const timezone = fields.timezone === undefined ? undefined : checkTimeZone(fields.timezone);
  const zone = timezone ?? localTimeZone();
  const daily = DAILY_FIELDS.filter((field) => fields[field] !== undefined);
  if (fields.cron !== undefined) {
    if (daily.length > 0) {
      throw fieldError(
        `schedule takes cron or 1C-style fields, not both: it has cron and ${daily.join(', ')}`,
      );
    }
    return checkCron(fields.cron, timezone, zone);
  }
  if (daily.length === 0) {
    throw fieldError(`schedule is empty: give cron, or at least one of ${DAILY_FIELDS.join(', ')}`);
  }
  const schedule = Object.fromEntries([
    ...daily.map((field) => [field, fields[field]]),
    ...(timezone === undefined ? [] : [['timezone', timezone]]),
  ]) as DailySchedule;
  checkDailyFieldsTogether(schedule);
  return neverRunsCheck(dailyRule(schedule, zone), 'the schedule');
}

/**
 * Checks one field of a schedule alone, as a {@link JobSchedule} does on assignment; `undefined` for "not set".
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming the field, the value and the expected form.
 */
export function checkScheduleField(field: (typeof SCHEDULE_FIELDS)[number], value: unknown): unknown {
  if (value === undefined) return undefined;
  if (field === 'timezone') return checkTimeZone(value);
  if (field === 'cron') return (checkCron(value, undefined, localTimeZone()).schedule as CronSchedule).cron;
  return checkField(field, value);
}

/**
 * A schedule that was checked when it was written, as a store gives it back: its rule is built on first use, so
 * the copies a store hands out (one with every run) parse nothing they are not asked about.
 */
export function storedRule(schedule: ScheduledJobSchedule): ScheduleRule {
  let rule = rules.get(schedule);
  const built = (): ScheduleRule => (rule ??= checkSchedule(schedule));
  return {
    schedule,
    nextRunAfter: (after, lastEnded) => built().nextRunAfter(after, lastEnded),
    limitsAt: (due) => built().limitsAt(due),
  };
}

/** A cron expression parsed by croner, which also decides what cron does at DST changes. */
function checkCron(cron: unknown, timezone: string | undefined, zone: string): ScheduleRule {
  if (typeof cron !== 'string') throw fieldError(`cron must be a string, got ${describeValue(cron)}`);
  try {
    parsedCron(cron, zone);
  } catch (error) {
    throw fieldError(
      `cron ${JSON.stringify(cron)} is not a cron expression (${(error as Error).message}); expected five fields, or six with seconds first, e.g. "*/5 * * * *"`,
    );
  }
  const schedule: CronSchedule = timezone === undefined ? { cron } : { cron, timezone };
  return neverRunsCheck(cronRule(schedule, zone), `cron ${JSON.stringify(cron)}`);
}

/** What 1C-style fields say together: one set of times of the day, and dates in order. */
function checkDailyFieldsTogether(schedule: DailySchedule): void {
  const own = WINDOW_FIELDS.filter((field) => schedule[field] !== undefined);
  if (schedule.detailedDailySchedules !== undefined && own.length > 0) {
    throw fieldError(
      `schedule takes detailedDailySchedules or the day's own times, not both: it has detailedDailySchedules and ${own.join(', ')}`,
    );
  }
  if (schedule.beginDate && schedule.endDate && schedule.endDate < schedule.beginDate) {
    throw fieldError(
      `endDate "${schedule.endDate}" is before beginDate "${schedule.beginDate}"; the schedule would never run`,
    );
  }
}

/** A schedule that matches no day at all (31 February, an end date past) is a mistake worth stopping for. */
function neverRunsCheck(rule: ScheduleRule, what: string): ScheduleRule {
  const checked = rememberingNextRun(rule);
  if (checked.nextRunAfter(new Date()) === undefined) {
    throw fieldError(`${what} never runs: no day from now on matches it; check its days, months and dates`);
  }
  return checked;
}

/**
 * `rule`, remembering the next run it found last: there is no run between that `after` and that run, so asked for a
 * later `after` still before it, the answer is the same. A job declared in web.config is so armed with the run found
 * when it was checked, and a schedule is searched once per run, not once more per instance or store.
 */
function rememberingNextRun(rule: ScheduleRule): ScheduleRule {
  let after = NaN;
  let next: Date | undefined;
  const nextRunAfter = (from: Date, lastEnded?: Date): Date | undefined => {
    // A pause after the previous run (lastEnded) moves the next one: searched, not remembered.
    if (lastEnded !== undefined) return rule.nextRunAfter(from, lastEnded);
    const at = from.getTime();
    if (!(at >= after && (next === undefined || at < next.getTime()))) {
      after = at;
      next = rule.nextRunAfter(from);
    }
    return next && new Date(next); // a copy: the caller may change it
  };
  return { ...rule, nextRunAfter };
}

function checkTimeZone(value: unknown): string {
  if (typeof value === 'string' && isTimeZone(value)) return value;
  throw fieldError(
    `timezone must be an IANA time zone such as "Europe/Moscow" or "UTC", got ${describeValue(value)}`,
  );
}
