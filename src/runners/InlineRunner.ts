import { errorInfoFrom } from '../jobs/errorInfo';
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

  run({ job, handler, params, manager, onHandlerStart, onStrayRejection }: JobTask): Promise<JobOutcome> {
    const running = {
      job,
      manager,
      failFromOutside: (reason: unknown) =>
        onStrayRejection(errorInfoFrom(reason, this.#handlersPath), reason),
      report: job.record.bind(job),
    };
    onHandlerStart?.();
    return runHandler(running, handler.run, params, this.#handlersPath);
  }

  /** Nothing to free: a handler still running inline cannot be stopped from outside. */
  async close(): Promise<void> {}
}
