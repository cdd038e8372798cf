import { BackgroundJobsError, type BackgroundJobsErrorCode, describeValue } from '../errors';
import type { MessagePort } from 'node:worker_threads';
import type { JobReport, JobSnapshot } from '../jobs/BackgroundJob';
import type { JobsManager } from '../jobs/ownManager';
import type { ErrorInfo } from '../jobs/errorInfo';
import { cloneFailure } from '../jobs/storable';

/** What the main thread sends a worker for one job (Piscina carries it, and the {@link ThreadJobResult} back). */
export interface ThreadJobRequest {
  readonly handlersPath: string;
  /** The BroadcastChannel on which the pool's workers hear of cancels and timeouts. */
  readonly abortChannel: string;
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
}

/**
 * Worker → main, once, on `parentPort` as the worker's code loads (before any handler can run there): the port on
 * which the worker sends the notes of every job it runs, and hears the answers to their calls. One port a worker,
 * instead of one channel a run, whose transfer with each task cost as much as the task itself. A handler can post
 * another such port, but nothing on it is believed without a run's secret ({@link RunNote}).
 */
export interface WorkerPortNote {
  readonly webBackgroundJobsPort: MessagePort;
}

/** Worker → main, in order on the worker's port: a note about the run whose secret it carries. */
export interface RunNote {
  readonly run: string;
  readonly note: WorkerNote;
}

/**
 * What a worker's task returns: the outcome, and how many notes it sent before it, so the main thread can wait
 * for every message and progress to arrive before it ends the job (notes and result travel on two channels).
 */
export interface ThreadJobResult {
  readonly notes: number;
  readonly outcome:
    | { readonly ok: true; readonly result: unknown; readonly serialized: boolean }
    | { readonly ok: false; readonly errorInfo: ErrorInfo };
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
