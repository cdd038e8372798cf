import { errorInfoFrom } from '../jobs/errorInfo';
import type { RunningJob } from '../jobs/jobContext';
import type { JobOutcome, JobRunner, JobTask } from './JobRunner';
import { runHandler } from './runHandler';

/**
 * Runs handlers on the main event loop, in the job's async context: they reach the application's objects, and
 * I/O-bound ones run concurrently; a CPU-bound one holds up every request until it returns, and one that
 * ignores its signal cannot be stopped.
 */
export class InlineRunner implements JobRunner {
  readonly threadCount = 0;
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
export function runningHere(
  { job, manager, waits, onStrayRejection }: Pick<JobTask, 'job' | 'manager' | 'waits' | 'onStrayRejection'>,
  handlersPath: string,
): RunningJob {
  return {
    job,
    manager,
    jobs: manager,
    enterWait: (pending) => waits.enter(job, pending),
    failFromOutside: (reason) => onStrayRejection(errorInfoFrom(reason, handlersPath), reason),
    report: job.record.bind(job),
  };
}
