import { errorInfoFrom } from '../jobs/errorInfo';
import { type RunningJob, runAsJob } from '../jobs/jobContext';
import { settleAfterRejections } from '../jobs/turns';
import type { HandlerFunction } from '../loader/HandlerResolver';
import type { JobOutcome } from './JobRunner';

/**
 * Runs a handler as `running.job` and turns whatever it returns or throws into an outcome; shared by the inline
 * runner and the worker threads, so both settle a job the same way. One promise a job: a handler that returns
 * a plain value has its outcome at once, without the microtask turns of an async wrapper.
 */
export function runHandler(
  running: RunningJob,
  handler: HandlerFunction,
  params: readonly unknown[],
  handlersPath: string,
): Promise<JobOutcome> {
  return new Promise((resolve) => {
    // Node reports a rejection the handler left unhandled once the microtask queue drains: the outcome waits
    // for that, so such a rejection fails this job instead of arriving after it was marked Completed.
    const settle = (outcome: JobOutcome): void => settleAfterRejections(resolve, outcome);
    const failed = (error: unknown): void =>
      settle({ ok: false, errorInfo: errorInfoFrom(error, handlersPath), error });
    runAsJob(running, () => {
      let result: unknown;
      try {
        result = handler(...params);
      } catch (error) {
        return failed(error);
      }
      // An object may be a thenable: followed as `await` follows it, reading its `then` once, in the job's context.
      if ((typeof result === 'object' && result !== null) || typeof result === 'function') {
        new Promise((follow) => follow(result)).then((value) => settle({ ok: true, result: value }), failed);
      } else {
        settle({ ok: true, result });
      }
    });
  });
}
