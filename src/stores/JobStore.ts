import type { Settings } from '../config/options';
import { BackgroundJobsError, BackgroundJobsKeyConflictError } from '../errors';
import type { BackgroundJob, BackgroundJobData } from '../jobs/BackgroundJob';
import { publicFields, type PublicJobFields } from '../jobs/jobData';
import type { UserMessage } from '../jobs/UserMessage';
import type { JobTest } from '../jobs/jobFilter';
import type { Backoff, JobsManager, KeyConflictAction } from '../jobs/ownManager';
import type { LogError } from '../runners/JobExecutor';
import type { TraceCarrier } from '../runners/traceCarrier';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import type { ScheduledJob } from '../schedules/ScheduledJob';
import type { ScheduledJobData } from '../schedules/scheduledJobData';
import type { JobEmitter } from './JobEmitter';
import type { LogFields } from '../config/logWriter';

/** An `execute` call the manager has checked: the handler is resolved, the arguments have the right types. */
export interface JobRequest {
  readonly methodName: string;
  readonly handler: ResolvedHandler;
  /** The copy {@link JobStore.copyParams} made at the call: the store holds it as is, never copies it again. */
  readonly params: unknown[];
  readonly key: string;
  readonly description: string;
  /** 0 for no limit. */
  readonly timeoutSeconds: number;
  /** The scheduled job whose run this is. */
  readonly scheduledJob?: ScheduledJob;
  /** When a job's handler calls execute: that job's UUID, then its ancestors' (nearest first). */
  readonly ancestors?: readonly string[];
  /** Who the job belongs to (execute's `owner`, or the calling job's); `undefined` when none. */
  readonly owner?: string;
  /** When an active job holds the key; `'reject'` when absent. */
  readonly onKeyConflict?: KeyConflictAction;
  /** How many attempts the job has and the wait between them; absent: one attempt, as in 1C. */
  readonly retry?: JobRetry;
  /** When the first attempt may start (ms since the epoch); absent: at once. */
  readonly startAt?: number;
  /** The trace context active at the call, when the application has `@opentelemetry/api`: the job span's parent. */
  readonly trace?: TraceCarrier;
}

/** An `execute` call's `attempts` (over 1) and `backoff`, checked. */
export interface JobRetry {
  readonly attempts: number;
  readonly backoff: Backoff | undefined;
}

/**
 * Where a manager's jobs live and from where they run: in this process ({@link MemoryJobStore}) or in Redis
 * through BullMQ, shared by every instance on it (`RedisJobStore`). The manager checks arguments and resolves
 * handlers; a store enforces the key rule, runs jobs, and answers what jobs exist.
 */
export interface JobStore {
  /**
   * A job's parameters copied in the form this store can hold, synchronously: every path that starts a job calls it
   * at its own call, before any `await`, so a caller changing its array afterwards changes nothing (1C copies the
   * parameters when Выполнить is called).
   * @throws BackgroundJobsError `WBJ_PARAM_NOT_CLONEABLE` (memory) or `WBJ_PARAM_NOT_STORABLE` (Redis), naming the
   *   parameter.
   */
  copyParams(params: readonly unknown[]): unknown[];
  /**
   * Registers the job and starts it or queues it; returns the job once registered (in memory at once, without a
   * promise to wait for).
   * @throws BackgroundJobsError `WBJ_KEY_CONFLICT`, `WBJ_STORE_UNAVAILABLE`; nothing was registered then.
   */
  start(request: JobRequest): BackgroundJob | Promise<BackgroundJob>;
  /** The active or remembered job with this (lower-case) UUID. */
  get(uuid: string): Promise<BackgroundJob | undefined>;
  /**
   * Active jobs and finished ones still in history that pass `matches`, in the order executed. The test sees
   * the jobs' small fields first: only the jobs that pass are read in full.
   */
  list(matches: JobTest): Promise<BackgroundJob[]>;
  /** The summaries of the jobs that pass `matches`, in the order executed: no params, result or message is read. */
  summaries(matches: JobTest): Promise<JobSummaryData[]>;
  /** The job with this (lower-case) UUID with its result and one page of its messages; none other is read. */
  details(uuid: string, page: MessagePage): Promise<JobDetailsData | undefined>;
  /**
   * Removes every finished job from history (OneScript: Очистить); active jobs stay. On Redis, from the history
   * every instance shares.
   */
  clear(): Promise<void>;
  /**
   * Removes one finished job from history (the dashboard's delete): it is no longer listed nor found, on Redis by
   * any instance. Resolves `false` when no such job is known.
   * @throws BackgroundJobsError `WBJ_JOB_ACTIVE` while the job is active, or its cancelled handler still stops.
   */
  remove(uuid: string): Promise<boolean>;
  /**
   * The params job `uuid` was started with, as this store holds them (the dashboard's run again), or `undefined`
   * when the job is not known.
   */
  paramsOf(uuid: string): Promise<unknown[] | undefined>;
  /** Live worker threads of this process. */
  readonly threadCount: number;
  /** Worker threads of this process that died (crashed or exited), since the store was made. */
  readonly threadCrashes: number;
  /** @internal When the store's server has been out of reach: none for a memory store. */
  readonly outages?: StoreOutages;
  /**
   * close() has begun: a store whose worker takes jobs from a queue shared with other instances takes none from now
   * on, before anything else of the close is waited for (the queued jobs stay for the others).
   */
  stopTaking?(): void;
  /** Lets this process's active jobs finish for `graceSeconds`, cancels the rest, and frees every resource. */
  close(graceSeconds: number): Promise<void>;
}

/** @internal The outages of a store's server (Redis), for the metrics: read when they are scraped. */
export interface StoreOutages {
  /** Since when (ms since the epoch) the server has been unreachable; `undefined` while it answers. */
  readonly since: number | undefined;
  /** How long the outages that have ended lasted, in all (ms). */
  readonly pastMs: number;
}

/**
 * @internal A job's small fields: what filters test and the dashboard lists, read without params, result or
 * messages. Its `errorInfo` is the one a client may see, as `toJSON()` sends it (no path outside the handlers folder).
 */
export interface JobSummaryData extends Omit<BackgroundJobData, 'messages' | 'result'> {
  /** How many messages the job holds. */
  readonly messagesTotal: number;
}

/**
 * @internal A job's summary from its fields: a `BackgroundJob`'s members, or those a store read of one (the
 * scheduled job is named by its UUID and name). The fields are those `toJSON()` sends, listed once in publicFields.
 */
export function summaryOf(job: PublicJobFields, messagesTotal: number): JobSummaryData {
  return publicFields(job, { messagesTotal });
}

/** @internal Which messages a details read returns: `limit` of them, ending `offset` messages before the newest. */
export interface MessagePage {
  readonly offset: number;
  readonly limit: number;
}

/** @internal A job as the dashboard details it: its summary, its result and one page of its messages, oldest first. */
export interface JobDetailsData extends JobSummaryData {
  readonly result: unknown;
  readonly messages: readonly UserMessage[];
}

/**
 * 1C's text when its key rule is broken; БСП (ДлительныеОперации) finds a conflict by searching an error's text
 * for it (СтрНайти), so every conflict's message starts with it, in Russian, whatever the language.
 */
const KEY_CONFLICT_1C = 'Задание с таким значением ключа уже выполняется';

/**
 * 1C's key rule, broken: the error says it in 1C's words, then names the job that holds the key (also as
 * `holderUuid`). Its owner is not named: join and replace act only on one's own jobs (see {@link keyConflictAction}).
 */
export function keyConflict(
  holderUuid: string,
  methodName: string,
  key: string,
): BackgroundJobsKeyConflictError {
  return new BackgroundJobsKeyConflictError(
    `${KEY_CONFLICT_1C}: background job ${holderUuid} of method "${methodName}" with key ${JSON.stringify(key)} is still active; wait for it or use another key`,
    holderUuid,
  );
}

/**
 * What a store does with the active job holding a request's key: the request's `onKeyConflict`, but `'reject'` for a
 * job of another owner (both without one are the same owner), so that no caller joins or cancels another's job.
 */
export function keyConflictAction(request: JobRequest, holderOwner: string | undefined): KeyConflictAction {
  return holderOwner === request.owner ? (request.onKeyConflict ?? 'reject') : 'reject';
}

/** A delete from history of a job that has not ended: history holds finished jobs only. */
export function jobStillActive(uuid: string, methodName: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_JOB_ACTIVE',
    `Background job ${uuid} of method "${methodName}" is still active and cannot be deleted from history; expected a finished job: cancel it, and delete it once it has ended`,
  );
}

/** What a store is built with. */
export interface StoreContext {
  readonly settings: Settings;
  readonly logError: LogError;
  /** For notices that are not failures (the Redis store is back). */
  readonly warn: (line: string, fields?: LogFields) => void;
  /** The manager, which `getCurrent()` compares against inside inline handlers and a job's ФоновыеЗадания call. */
  readonly manager: JobsManager;
  /** Resolves a method name to its handler, as `execute` does (a worker needs it for jobs executed elsewhere). */
  readonly resolve: (methodName: string) => Promise<ResolvedHandler>;
  /** A copy of the scheduled job a stored run names (a Redis store keeps only its data). */
  readonly scheduledJobFrom: (data: ScheduledJobData) => ScheduledJob;
  /** The manager's events, which the store emits as its jobs move. */
  readonly events: JobEmitter;
}
