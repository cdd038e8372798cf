import { runAsJob } from '../jobs/jobContext';
import type { JobRunner } from './JobRunner';

/**
 * Runs handlers on the main event loop, in the job's async context: fine for I/O-bound handlers; a CPU-bound
 * one holds up every request until it returns.
 */
export const inlineRunner: JobRunner = {
  run(running, handler, params) {
    // async: a handler that throws synchronously rejects instead of throwing into the manager.
    return runAsJob(running, async () => handler.run(...params));
  },
};
