import { describeValue } from '../errors';
import { findUnstorableParam, STORABLE_DATA } from '../jobs/storable';
import { checkSchedule, type ScheduleInput, storedRule } from './checkSchedule';
import { fieldError } from './fieldError';
import type { ScheduledJobSchedule, ScheduleRule } from './scheduleRule';

/**
 * A scheduled job as data: its fields as a store keeps them and as `create()` takes them, and the check of each
 * field, shared by the ScheduledJob class, `scheduledJobs.create()` and web.config's reader. A check throws
 * `WBJ_BAD_ARGUMENT` naming the field; its caller says which job (see fieldError.ts).
 */

/** A scheduled job as plain data: what a store keeps and `JSON.stringify(scheduledJob)` sends. */
export interface ScheduledJobData {
  readonly uuid: string;
  readonly name: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  readonly params: readonly unknown[];
  readonly use: boolean;
  readonly schedule: ScheduledJobSchedule;
  /** Declared in web.config (1C: Предопределенное). */
  readonly predefined: boolean;
  /** The name of the web.config declaration it was made from (1C: Метаданные); absent for `create({ … })`. */
  readonly metadata?: string;
  /** The user its runs are started for (1C: ИмяПользователя); `''` for none. */
  readonly userName: string;
  /** How many times a failed run is started again (1C: КоличествоПовторовПриАварийномЗавершении). */
  readonly restartCountOnFailure: number;
  /** Seconds from a failure to its retry (1C: ИнтервалПовтораПриАварийномЗавершении). */
  readonly restartIntervalOnFailure: number;
}

/** What `manager.scheduledJobs.create()` takes: a name, a method and a schedule; the rest has defaults. */
export interface ScheduledJobInit {
  /** Unique among the manager's scheduled jobs, compared case-insensitively; never changes. */
  readonly name: string;
  /** `Module.Method` in the handlers folder, as for `execute`. */
  readonly methodName: string;
  /** `{ cron, timezone? }` or 1C-style fields, by English or 1C names. */
  readonly schedule: ScheduleInput;
  /** The key every run gets; a run is skipped while an active job of the method holds it. Default `''`. */
  readonly key?: string;
  /** The description every run gets. Default `''`. */
  readonly description?: string;
  /** The parameters every run gets, JSON data. Default `[]`. */
  readonly params?: readonly unknown[];
  /** Whether the schedule runs. Default `true`. */
  readonly use?: boolean;
  /** The user its runs are started for, read by a run as `currentJob().userName`. Default `''`. */
  readonly userName?: string;
  /** How many times a failed run is started again, 0 to 1000 (`MAX_RESTART_COUNT`). Default 0. */
  readonly restartCountOnFailure?: number;
  /** Seconds from a failure to its retry, 0 to 2147483 (`MAX_RESTART_INTERVAL_SECONDS`). Default 0. */
  readonly restartIntervalOnFailure?: number;
}

/** The most retries of a failed run: enough for any real series, few enough that a typo cannot loop for long. */
export const MAX_RESTART_COUNT = 1000;
/** The longest pause before a retry: Node's timer ceiling (about 24.8 days), as for a schedule's timers. */
export const MAX_RESTART_INTERVAL_SECONDS = 2147483;

/** A name given to `create()`: unique names are checked by the store when the job is written. */
export function checkName(name: unknown): string {
  if (typeof name === 'string' && name.trim() !== '' && name.length <= 200) return name;
  throw fieldError(
    `A scheduled job's name must be a non-empty string of up to 200 characters, got ${describeValue(name)}`,
  );
}

/** Parameters of a scheduled job are stored with it, so they must be JSON data; returned as a frozen copy. */
export function checkParams(params: unknown): readonly unknown[] {
  if (!Array.isArray(params)) {
    throw fieldError(`params must be an array (passed positionally), got ${describeValue(params)}`);
  }
  const found = findUnstorableParam(params);
  if (found !== undefined) throw fieldError(`${found}; a scheduled job's params are ${STORABLE_DATA}`);
  return deepFreeze(structuredClone(params));
}

/** A retry count or interval: a whole number from 0 to `max`. */
export function checkWholeNumber(value: unknown, field: string, max: number): number {
  if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max) return value as number;
  throw fieldError(`${field} must be a whole number from 0 to ${max}, got ${describeValue(value)}`);
}

/** `key`, `description`, `userName`: any string. */
export function checkString(value: unknown, field: string): string {
  if (typeof value === 'string') return value;
  throw fieldError(`${field} must be a string, got ${describeValue(value)}`);
}

export function checkUse(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw fieldError(`use must be true or false, got ${describeValue(value)}`);
}

/** A schedule given to a scheduled job, checked, its data frozen: no copy can change it behind the job's setter. */
export function checkJobSchedule(value: unknown): ScheduleRule {
  const checked = checkSchedule(value);
  return { ...checked, schedule: deepFreeze(checked.schedule) };
}

/** A scheduled job's schedule as a store gives it back (checked when it was written), frozen likewise. */
export function storedJobSchedule(schedule: ScheduledJobSchedule): ScheduleRule {
  return storedRule(deepFreeze(schedule));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
