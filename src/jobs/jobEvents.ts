// What a manager tells its listeners (`manager.on(event, listener)`): one payload shape per event, named once here so
// that the emitter, the stores that emit and the application's listeners agree on them.
import type { BackgroundJob } from './BackgroundJob';
import type { ErrorInfo } from './errorInfo';
import type { JobProgress } from './jobReports';
import type { UserMessage } from './UserMessage';

/** What every job event says of its job. */
export interface JobEventBase {
  readonly uuid: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  /** Who the job belongs to (execute's `owner`); absent when none. */
  readonly owner?: string;
  /** When it happened (on Redis, as the instance that did it saw it). */
  readonly at: Date;
  /** Whether this instance started the job or runs it (always in memory; on Redis, `false` for another instance's job heard through `events: 'all'`). */
  readonly local: boolean;
  /** The job's object, when this process holds one: the job `execute` returned, or the one running here. */
  readonly job?: BackgroundJob;
}

/** A job was registered: it runs at once or waits its turn, `Active` either way. */
export interface QueuedEvent extends JobEventBase {
  /** Seconds it waits before it may start (execute's `delaySeconds` or `startAt`); absent when it may start now. */
  readonly delaySeconds?: number;
}

/** A job's handler starts: the job leaves the queue. */
export interface StartedEvent extends JobEventBase {
  /** The job's `begin`. */
  readonly begin: Date;
  /** Seconds from `execute` to `begin`. */
  readonly queuedSeconds: number;
  /** The attempt starting, from 1. */
  readonly attempt: number;
}

/** A handler reported `progress(percent, text)`. */
export interface ProgressEvent extends JobEventBase {
  readonly progress: JobProgress;
}

/** A handler sent a user message (`message()`). */
export interface MessageEvent extends JobEventBase {
  readonly message: UserMessage;
}

/** A job ended `Completed`. */
export interface CompletedEvent extends JobEventBase {
  /** Seconds from `begin` to `end`. */
  readonly runSeconds: number;
}

/** A job ended `Failed` (its time limit, a crash or a lost worker included). */
export interface FailedEvent extends JobEventBase {
  /** Seconds from `begin` to `end`; 0 for a job that failed before it began. */
  readonly runSeconds: number;
  readonly errorInfo: ErrorInfo;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** Whether another attempt follows (the job stays `Active`). */
  readonly willRetry: boolean;
}

/** A job ended `Canceled`. */
export interface CanceledEvent extends JobEventBase {
  /** Seconds from `begin` to the cancel; `undefined` for a job cancelled before it began. */
  readonly runSeconds: number | undefined;
}

/** A scheduled job as its events name it. */
export interface ScheduledJobRef {
  readonly uuid: string;
  readonly name: string;
}

/** A scheduled job's run started (from its schedule, a retry, or `runNow()`). */
export interface ScheduledRunEvent {
  readonly scheduledJob: ScheduledJobRef;
  /** The run's background job. */
  readonly jobUuid: string;
  readonly at: Date;
}

/**
 * Why a due run of a scheduled job did not start: `running` (its previous run is still active), `key` (an active job
 * holds its key), `pause` (inside its schedule's pause after the previous run), `unavailable` (the Redis store could
 * not be reached), `error` (it could not start otherwise, e.g. its handler is gone; the error is logged).
 */
export type ScheduledSkipReason = 'running' | 'key' | 'pause' | 'unavailable' | 'error';

/** A due run of a scheduled job was skipped. */
export interface ScheduledSkipEvent {
  readonly scheduledJob: ScheduledJobRef;
  readonly reason: ScheduledSkipReason;
  /** The sentence the log says. */
  readonly detail: string;
  readonly at: Date;
}

/** Every event a manager emits, by name, with its payload: `manager.on(name, (payload) => …)`. */
export interface BackgroundJobsEvents {
  queued: QueuedEvent;
  started: StartedEvent;
  progress: ProgressEvent;
  message: MessageEvent;
  completed: CompletedEvent;
  failed: FailedEvent;
  canceled: CanceledEvent;
  'scheduled-run': ScheduledRunEvent;
  'scheduled-skip': ScheduledSkipEvent;
}

/** An event's name. */
export type BackgroundJobsEventName = keyof BackgroundJobsEvents;

/** A listener of event `E`; what it returns is ignored, a rejected promise is logged. */
export type BackgroundJobsListener<E extends BackgroundJobsEventName> = (
  payload: BackgroundJobsEvents[E],
) => unknown;

/** The events of a job, in the order a job meets them. */
export const JOB_EVENT_NAMES: readonly BackgroundJobsEventName[] = Object.freeze([
  'queued',
  'started',
  'progress',
  'message',
  'completed',
  'failed',
  'canceled',
]);

/** Every event name: a job's, then a scheduled job's. */
export const EVENT_NAMES: readonly BackgroundJobsEventName[] = Object.freeze([
  ...JOB_EVENT_NAMES,
  'scheduled-run',
  'scheduled-skip',
]);
