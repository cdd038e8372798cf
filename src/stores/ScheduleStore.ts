import { BackgroundJobsError } from '../errors';
import type { ScheduledJobData } from '../schedules/scheduledJobData';
import type { ScheduleRule } from '../schedules/scheduleRule';

/** A scheduled job as a store holds it, with the UUID of its last run. */
export interface StoredScheduledJob {
  readonly data: ScheduledJobData;
  readonly lastJobUuid: string | undefined;
}

/** Which retry of a failed run a tick is: the `attempt`-th (from 1) after run `of` failed. */
export interface Retry {
  readonly attempt: number;
  readonly of: string;
}

/**
 * Called when a scheduled job's time has come (`due`: the time the schedule named), or the time of a retry of a
 * failed run (`retry` then says which).
 */
export type OnTick = (uuid: string, due: Date, retry?: Retry) => Promise<void>;

/**
 * Where scheduled jobs are kept and from where their schedules fire: timers in this process
 * ({@link MemoryScheduleStore}), or BullMQ job schedulers that fire once for all instances on one Redis
 * (`RedisScheduleStore`).
 */
export interface ScheduleStore {
  /**
   * Saves a scheduled job, new or replaced, and arms its schedule if it is in use (disarms it if not).
   * @throws BackgroundJobsError `WBJ_NAME_TAKEN` when another scheduled job has the name.
   */
  write(data: ScheduledJobData, schedule: ScheduleRule): Promise<void>;
  /** Removes a scheduled job and disarms its schedule; false when there was none with the UUID. */
  delete(uuid: string): Promise<boolean>;
  get(uuid: string): Promise<StoredScheduledJob | undefined>;
  /** Every scheduled job, in the order of their names. */
  list(): Promise<StoredScheduledJob[]>;
  /** Notes the run a scheduled job has just started. */
  recordRun(uuid: string, jobUuid: string): Promise<void>;
  /**
   * Fires `retry` of scheduled job `uuid` at `due`, once for all instances on a shared store: asked twice for the
   * same failed run, it fires once.
   */
  retry(uuid: string, retry: Retry, due: Date): Promise<void>;
  /** Stops every schedule of this process and frees its resources. */
  close(): Promise<void>;
}

/** Names are unique among scheduled jobs, compared case-insensitively, as 1C's metadata names are. */
export function nameTaken(name: string, holderUuid: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_NAME_TAKEN',
    `A scheduled job named ${JSON.stringify(name)} exists already (${holderUuid}); scheduled job names are unique, whatever their case`,
  );
}
