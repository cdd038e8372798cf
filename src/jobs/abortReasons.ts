// Why a job's signal aborts. Every copy of a job (a view in a worker thread, an instance reading a shared store)
// aborts its signal with the reason the instance that ran the job gave, so a handler or a caller reading
// `signal.reason` hears the same wherever it reads it.
import { BackgroundJobsError } from '../errors';
import { BackgroundJobState } from './BackgroundJobState';
import type { ErrorInfo } from './errorInfo';

/** The job as its reasons name it. */
interface Named {
  readonly uuid: string;
  readonly methodName: string;
}

/** The reason a cancelled job's signal aborts with. */
export function cancelReason(job: Named): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_CANCELED',
    `Background job ${job.uuid} (${job.methodName}) was cancelled`,
  );
}

/**
 * The reason the instance that ran `job` aborted its signal with, read from the state and error it finished with:
 * cancelled, or stopped at its time limit; `undefined` for any other end, which aborts nothing.
 */
export function abortReasonOf(
  job: Named,
  finished: { readonly state: BackgroundJobState; readonly errorInfo: ErrorInfo | undefined },
): BackgroundJobsError | undefined {
  if (finished.state === BackgroundJobState.Canceled) return cancelReason(job);
  if (finished.errorInfo?.code === 'WBJ_JOB_TIMEOUT') {
    return new BackgroundJobsError('WBJ_JOB_TIMEOUT', finished.errorInfo.description);
  }
  return undefined;
}
