import type { BackgroundJob } from '../jobs/BackgroundJob';
import type { ErrorInfo } from '../jobs/errorInfo';
import type { JobsManager } from '../jobs/ownManager';
import type { WaitingJobs } from '../jobs/waitingJobs';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import type { JobSpan } from './tracing';

/** How a handler ended: its result, or why it failed (`error` is what was thrown, for the log). */
export type JobOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly errorInfo: ErrorInfo; readonly error: unknown };

/** A job handed to a runner by the `JobExecutor` of the store that holds it. */
export interface JobTask {
  readonly job: BackgroundJob;
  readonly handler: ResolvedHandler;
  readonly params: readonly unknown[];
  /**
   * The manager the job runs for: inside the job (inline, or answering a worker's calls) `getCurrent()` and
   * `execute`'s count of a child's ancestors compare against it, and the job's ФоновыеЗадания call it.
   */
  readonly manager: JobsManager;
  /**
   * Given only to a job with a time limit, whose clock it starts: called as the handler is about to run (a
   * worker may first have to start).
   */
  readonly onHandlerStart: (() => void) | undefined;
  /** The executor's jobs waiting inside their handlers, for the deadlock check of a wait the job makes. */
  readonly waits: WaitingJobs;
  /** Fails the job with a rejection its handler left unhandled, possibly after the job ended. */
  readonly onStrayRejection: (errorInfo: ErrorInfo, error: unknown) => void;
  /**
   * The job's span, when the application traces: the runner tells it each report the handler makes (after the job
   * recorded it) and, in a worker thread, passes its context on to the handler.
   */
  readonly span?: JobSpan;
}

/**
 * Where a job's handler executes: on the main thread or in a worker thread. The store owns states, keys, the queue
 * and history, and hands each job it runs to its `JobExecutor`, which owns the time limit and the job's end;
 * a runner runs the handler as `task.job`, passes its messages and progress on to it, and settles with the outcome
 * once whatever ran it is free for the next job. Inline, the handler reads the job's `signal` itself; in a worker
 * thread the runner carries the signal's abort across, and terminates a handler that ignores it past the grace.
 */
export interface JobRunner {
  run(task: JobTask): Promise<JobOutcome>;
  /** Live worker threads; 0 where none are used. */
  readonly threadCount: number;
  /** Worker threads that died (crashed or exited) while running a job or idle, since the runner was made; 0 inline. */
  readonly threadCrashes: number;
  /** Stops the runs still going where it can (not inline) and frees its resources; resolves once they are gone. */
  close(): Promise<void>;
}
