import type { BackgroundJob } from '../jobs/BackgroundJob';
import type { ErrorInfo } from '../jobs/errorInfo';
import type { JobsManager } from '../jobs/ownManager';
import type { WaitingJobs } from '../jobs/waitingJobs';
import type { ResolvedHandler } from '../loader/HandlerResolver';

/** How a handler ended: its result, or why it failed (`error` is what was thrown, for the log). */
export type JobOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly errorInfo: ErrorInfo; readonly error: unknown };

/** A job handed to a runner by the manager. */
export interface JobTask {
  readonly job: BackgroundJob;
  readonly handler: ResolvedHandler;
  readonly params: readonly unknown[];
  /** The manager, which `getCurrent()` compares against inside inline handlers and the job's ФоновыеЗадания call. */
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
}

/**
 * Where a job's handler executes. The manager owns states, keys, the queue and history; a runner runs the
 * handler as `task.job`, delivers its messages and progress, honours its `signal`, and settles with the outcome
 * once whatever ran it is free for the next job.
 */
export interface JobRunner {
  run(task: JobTask): Promise<JobOutcome>;
  /** Live worker threads; 0 where none are used. */
  readonly threadCount: number;
  /** Stops every run still going and frees the runner's resources; resolves when they are gone. */
  close(): Promise<void>;
}
