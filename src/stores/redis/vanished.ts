import { BackgroundJobsError } from '../../errors';
import type { JobSnapshot } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import { canceledAt, END_KEPT_BYTES, FINISHED_CLAIM, type KeptEnd, keptEnd } from './endClaim';
import { jobLost, remoteErrorInfo } from './lostErrors';
import { decodeFailure, parsed, type StoredResult } from './record';

/**
 * How a job whose record vanished ended; `begin` and `result` when its worker kept its end (see endClaim.ts), and
 * `resultLost` when it completed with a result past the bound kept (its `result` reads `undefined`).
 */
export type VanishedEnding = Pick<JobSnapshot, 'state' | 'errorInfo'> &
  Partial<Pick<JobSnapshot, 'begin' | 'result'>> & { readonly end: Date; readonly resultLost?: true };

/**
 * How a job ends whose record vanished from Redis while a local job of it was active: `Canceled` if a cancel had
 * claimed its end; as its worker ended it if it kept its end (`kept`, see endClaim.ts: a result or an error past the
 * bound kept is lost, see {@link endUnkept}); `undefined` if its worker claimed the end but kept none (an older
 * version: the job's end event says how), else `Failed` with `WBJ_JOB_LOST`.
 */
export function vanishedEnding(
  jobId: string,
  endClaim: string | null,
  handlersPath: string,
  kept?: string | null,
): VanishedEnding | undefined {
  if (endClaim === FINISHED_CLAIM) return keptEnding(jobId, keptEnd(kept), handlersPath);
  const canceled = canceledAt(endClaim);
  if (canceled !== undefined)
    return { state: BackgroundJobState.Canceled, end: new Date(canceled), errorInfo: undefined };
  const errorInfo = remoteErrorInfo(jobLost(jobId), handlersPath);
  return { state: BackgroundJobState.Failed, end: new Date(), errorInfo };
}

/** How a job ended as its worker kept it; `undefined` for none. */
function keptEnding(
  jobId: string,
  kept: KeptEnd | undefined,
  handlersPath: string,
): VanishedEnding | undefined {
  if (kept === undefined) return undefined;
  const failure =
    kept.target === 'failed' && kept.whole ? decodeFailure(kept.json, jobId, handlersPath) : undefined;
  const facts: Partial<StoredResult> | undefined =
    failure === undefined ? (parsed(kept.json) as Partial<StoredResult> | undefined) : failure.facts;
  const times = {
    end: new Date(typeof facts?.end === 'number' ? facts.end : Date.now()),
    ...(typeof facts?.begin === 'number' && { begin: new Date(facts.begin) }),
  };
  if (failure !== undefined) return { ...times, state: failure.state, errorInfo: failure.errorInfo };
  if (kept.target === 'completed' && !kept.whole)
    return { ...times, state: BackgroundJobState.Completed, errorInfo: undefined, resultLost: true };
  if (kept.target === 'completed')
    return { ...times, state: BackgroundJobState.Completed, errorInfo: undefined, result: facts?.result };
  return {
    ...times,
    state: BackgroundJobState.Failed,
    errorInfo: remoteErrorInfo(endUnkept(jobId), handlersPath),
  };
}

/** The error of a failed job whose error was too large to keep with its end, once its record and end event are gone. */
export function endUnkept(jobId: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_JOB_LOST',
    `Background job ${jobId} failed, but its error was lost: its record and its end event left Redis (jobsHistorySize, the event stream's maxLenEvents) before this instance read them, and an error over ${END_KEPT_BYTES} bytes is not kept with its end`,
  );
}

/**
 * What is logged of jobs that completed with a result too large to keep with their end, once their record and end
 * event are gone: nothing on the job says its `undefined` result is no return value.
 */
export function resultsUnkept(jobIds: readonly string[]): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_JOB_LOST',
    `${jobIds.length} background job(s) completed, but their results were lost (they read Completed with result undefined): their records and end events left Redis before this instance read them, and a result over ${END_KEPT_BYTES} bytes is not kept with its end. A larger jobsHistorySize, or a longer event stream (BullMQ's streams.events.maxLen, 10,000 events by default), keeps each end until it is read: ${jobIds.join(', ')}`,
  );
}
