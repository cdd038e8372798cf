import { errorInfoFrom } from '../jobs/errorInfo';
import type { BackgroundJob, JobReport } from '../jobs/BackgroundJob';
import type { RunningJob } from '../jobs/jobContext';
import type { JobsManager } from '../jobs/ownManager';
import type { WaitingJobs } from '../jobs/waitingJobs';
import type { JobOutcome, JobRunner, JobTask } from './JobRunner';
import { runHandler } from './runHandler';

/**
 * Runs handlers on the main event loop, in the job's async context: they reach the application's objects, and
 * I/O-bound ones run concurrently; a CPU-bound one holds up every request until it returns, and one that
 * ignores its signal cannot be stopped.
 */
export class InlineRunner implements JobRunner {
  readonly threadCount = 0;
  readonly threadCrashes = 0;
  readonly #handlersPath: string;

  constructor(handlersPath: string) {
    this.#handlersPath = handlersPath;
  }

  run(task: JobTask): Promise<JobOutcome> {
    task.onHandlerStart?.();
    return runHandler(
      runningHere(task, this.#handlersPath),
      task.handler.run,
      task.params,
      this.#handlersPath,
    );
  }

  /** Nothing to free: a handler still running inline cannot be stopped from outside. */
  async close(): Promise<void> {}
}

/**
 * The job as code on this thread runs as it, with its manager: the inline handler, and on the main thread the
 * answers to a worker's ФоновыеЗадания calls.
 */
export function runningHere(task: RunningTask, handlersPath: string): RunningJob {
  return new JobHere(task, handlersPath);
}

/** What of its task a job running here keeps. */
type RunningTask = Pick<JobTask, 'job' | 'manager' | 'waits' | 'onStrayRejection' | 'span'>;

/**
 * A {@link RunningJob} whose members are methods: one object a job, not one closure a member. It keeps only what
 * they need (not the task's params): whatever the handler leaves running holds it as its async context.
 */
class JobHere implements RunningJob {
  readonly job: BackgroundJob;
  readonly manager: JobsManager;
  readonly #waits: WaitingJobs;
  readonly #onStrayRejection: JobTask['onStrayRejection'];
  readonly #handlersPath: string;
  readonly #span: JobTask['span'];

  constructor({ job, manager, waits, onStrayRejection, span }: RunningTask, handlersPath: string) {
    this.#span = span;
    this.job = job;
    this.manager = manager;
    this.#waits = waits;
    this.#onStrayRejection = onStrayRejection;
    this.#handlersPath = handlersPath;
  }

  get jobs(): JobsManager {
    return this.manager;
  }

  enterWait(pending: readonly BackgroundJob[]): () => void {
    return this.#waits.enter(this.job, pending);
  }

  failFromOutside(reason: unknown): void {
    this.#onStrayRejection(errorInfoFrom(reason, this.#handlersPath), reason);
  }

  report(report: JobReport): void {
    this.job.record(report);
    this.#span?.report(report);
  }
}
