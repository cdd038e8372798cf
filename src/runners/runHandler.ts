import { errorInfoFrom } from '../jobs/errorInfo';
import { type RunningJob, runAsJob } from '../jobs/jobContext';
import type { HandlerFunction } from '../loader/HandlerResolver';
import type { JobOutcome } from './JobRunner';

/**
 * Runs a handler as `running.job` and turns whatever it returns or throws into an outcome; shared by the inline
 * runner and the worker threads, so both settle a job the same way.
 */
export async function runHandler(
  running: RunningJob,
  handler: HandlerFunction,
  params: readonly unknown[],
  handlersPath: string,
): Promise<JobOutcome> {
  let outcome: JobOutcome;
  try {
    // async: a handler that throws synchronously rejects instead of throwing into the runner.
    outcome = { ok: true, result: await runAsJob(running, async () => handler(...params)) };
  } catch (error) {
    outcome = { ok: false, errorInfo: errorInfoFrom(error, handlersPath), error };
  }
  // Node reports a rejection the handler left unhandled once the microtask queue drains: wait that turn so
  // it fails this job instead of arriving after the job was marked Completed.
  await new Promise(setImmediate);
  return outcome;
}
