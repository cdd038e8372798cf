import type { RunningJob } from '../jobs/jobContext';
import type { ResolvedHandler } from '../loader/HandlerResolver';

/**
 * Where a job's handler executes. The manager owns states, keys and history; a runner only runs the handler
 * as `running.job` and settles with its result or error.
 */
export interface JobRunner {
  run(running: RunningJob, handler: ResolvedHandler, params: readonly unknown[]): Promise<unknown>;
}
