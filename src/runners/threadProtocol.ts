import { BackgroundJobsError, type BackgroundJobsErrorCode, describeValue } from '../errors';
import type { MessagePort } from 'node:worker_threads';
import type { JobReport, JobSnapshot } from '../jobs/BackgroundJob';
import type { JobsManager } from '../jobs/ownManager';
import type { ErrorInfo, ErrorInfoFields } from '../jobs/errorInfo';
import { cloneFailure } from '../jobs/storable';
import type { TraceCarrier } from './traceCarrier';

/** What the main thread sends a worker for one job, on the worker's port; the {@link RunEnd} comes back on it. */
export interface ThreadJobRequest {
  readonly handlersPath: string;
  readonly job: {
    readonly uuid: string;
    readonly methodName: string;
    readonly key: string;
    readonly description: string;
    /** The scheduled job's userName, for `currentJob().userName` in the worker. */
    readonly userName: string;
    /** For `currentJob().owner` in the worker. */
    readonly owner: string | undefined;
    readonly begin: Date;
    /** The errors of its failed attempts before this one, for `currentJob().attempt` (structured clones). */
    readonly attemptErrors: readonly ErrorInfoFields[];
  };
  readonly params: readonly unknown[];
  /** Whether the job has a time limit: then the worker says when the handler starts, which starts the clock. */
  readonly timed: boolean;
  /**
   * The run's secret, random and made for it: the worker marks each of the run's notes with it, and the main thread
   * takes a note for the run whose secret it carries, and for no other. Only the worker's code sees it (it crosses
   * with the task, which the handler never reads), so a handler cannot post as its job, nor as another job.
   */
  readonly run: string;
  /** The job's span as its trace context, when the application traces: the handler's own spans continue it. */
  readonly trace?: TraceCarrier;
}

/**
 * Main → worker, once, the first message on its `parentPort`, which the worker's code takes as it loads (before any
 * handler can run there): the worker's port, on which its jobs come, with cancels and the answers to their calls,
 * and on which every note of a job and then its end go back, in order. Only the pool and the worker's code hold its
 * ends: a handler may post on `parentPort`, but nothing there is taken for a job's note.
 */
export interface WorkerPortNote {
  readonly webBackgroundJobsPort: MessagePort;
}

/** Worker → main, first on the worker's port: its code has loaded and taken the port. */
export const WORKER_READY = 'ready';

/** Main → worker, on the worker's port. */
export type WorkerOrder = { readonly task: ThreadJobRequest } | { readonly abort: AbortNote } | ManagerAnswer;

/** Worker → main, in order on the worker's port: a note about the run whose secret it carries. */
export interface RunNote {
  readonly run: string;
  readonly note: WorkerNote;
}

/** How a job's handler ended in its worker: a result (serialized there unless a primitive), or a failure. */
export type ThreadJobOutcome =
  | { readonly ok: true; readonly result: unknown; readonly serialized: boolean }
  | { readonly ok: false; readonly errorInfo: ErrorInfo };

/** Worker → main, on the worker's port after every note of the run: its end, which frees the worker. */
export interface RunEnd {
  readonly run: string;
  readonly end: ThreadJobOutcome;
}

/**
 * Main → workers: a job was cancelled, timed out, or (on a Redis store) lost; the worker running it aborts its signal
 * with this reason.
 */
export interface AbortNote {
  readonly uuid: string;
  readonly code: BackgroundJobsErrorCode;
  readonly message: string;
}

/**
 * What a job's `ФоновыеЗадания` in a worker ask the main thread: the manager's members, and for a job view its
 * `cancel()` (`cancel`) and its waits (`settle`: wait up to a timeout, answer the views' jobs as they are then).
 */
export type ManagerCallMember = keyof JobsManager | 'cancel' | 'settle';

/**
 * Worker → main: a call of the job's `ФоновыеЗадания`, answered on the worker's port. Jobs in `args` cross as
 * {@link JobRef}s.
 */
export interface ManagerCallNote {
  readonly kind: 'call';
  readonly id: number;
  readonly member: ManagerCallMember;
  readonly args: readonly unknown[];
}

/** The answer to a job's call `id`; jobs in it cross as {@link JobViewData}. */
export type CallAnswer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      /** A BackgroundJobsError (with the jobs of a wait's error), or what else was thrown, as its message. */
      readonly error: {
        readonly code: BackgroundJobsErrorCode | undefined;
        readonly message: string;
        readonly jobs?: readonly JobViewData[];
        /** A key conflict's holder. */
        readonly holderUuid?: string;
      };
    };

/** Main → worker, on the worker's port: a {@link CallAnswer} for run `run` (dropped if that run has ended). */
export type ManagerAnswer = CallAnswer & { readonly run: string };

/** A job named in a call's arguments: the main thread answers with the job it holds under this UUID. */
export interface JobRef {
  readonly webBackgroundJobRef: string;
}

/** A job in an answer, as its view in the worker is made or brought up to date: as it is at the answer. */
export interface JobViewData {
  readonly webBackgroundJobView: {
    readonly uuid: string;
    readonly methodName: string;
    readonly key: string;
    readonly description: string;
    readonly owner: string | undefined;
    readonly snapshot: JobSnapshot;
  };
}

export function isJobRef(value: unknown): value is JobRef {
  return typeof (value as JobRef | null)?.webBackgroundJobRef === 'string';
}

export function isJobViewData(value: unknown): value is JobViewData {
  return typeof (value as JobViewData | null)?.webBackgroundJobView === 'object';
}

/** Worker → main, in order on the worker's port: the handler's start, reports, stray rejections, calls of its manager. */
export type WorkerNote =
  | { readonly kind: 'started' }
  | JobReport
  | ManagerCallNote
  | { readonly kind: 'rejection'; readonly errorInfo: ErrorInfo }
  /** A rejection the handler left behind after its task returned: only logged. */
  | { readonly kind: 'lateRejection'; readonly methodName: string; readonly errorInfo: ErrorInfo };

/**
 * A late rejection as it travels on the worker's `parentPort` (the main thread has forgotten the run's secret by
 * then), marked with the job's uuid. Anyone in the worker can post one: the main thread only logs it.
 */
export interface WorkerEnvelope {
  readonly webBackgroundJobs: string;
  readonly note: WorkerNote;
}

/**
 * A result that cannot cross from a worker to the main thread: refused as the worker serializes it (`result`
 * given), or as the main thread reads it back (too deep for the stack there).
 */
export function resultNotCloneable(error: unknown, result?: unknown): BackgroundJobsError {
  const which = result === undefined ? '' : ` (${describeValue(result)})`;
  return new BackgroundJobsError(
    'WBJ_RESULT_NOT_CLONEABLE',
    `The job's result${which} cannot be copied from its worker thread: ${cloneFailure(error)}. Return plain data (numbers, strings, arrays, objects, Dates, Maps…)`,
    { cause: error },
  );
}
