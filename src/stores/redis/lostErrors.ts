import { BackgroundJobsError } from '../../errors';
import { type ErrorInfo, errorInfoFrom } from '../../jobs/errorInfo';

// The errors of jobs whose end no worker could store: their record vanished from Redis, or BullMQ gave them up as
// their worker's lock lapsed. They are raised far from the job, by whichever instance finds out.

/** The error of a job whose record vanished from Redis: its `errorInfo`, and the reason its handler is stopped. */
export function jobLost(jobId: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_JOB_LOST',
    `Background job ${jobId} was lost: its record disappeared from Redis (a restart without persistence, FLUSHDB, or eviction), so how it ends can never be stored; it failed, and its handler, if still running, was stopped`,
  );
}

/** What the worker of a job BullMQ gave up (its lock lapsed) knows of it. */
export interface CutOff {
  readonly lostWorkerSeconds: number;
  /** Whether its handler had ended (how could not be stored) or was still running (and is stopped). */
  readonly handlerEnded: boolean;
}

/**
 * The error of a job BullMQ gave up as its lock lapsed: said by its worker, which was alive all along and could not
 * reach Redis (`cutOff`), or as BullMQ's stalled-job check sees it, knowing nothing of the process.
 */
export function workerLost(jobId: string, cutOff?: CutOff): BackgroundJobsError {
  const why =
    cutOff === undefined
      ? 'the process running it stopped answering for longer than jobsLostWorkerSeconds (it crashed, was killed, blocked its event loop, or could not reach Redis)'
      : `the process running it could not reach Redis for longer than jobsLostWorkerSeconds (${cutOff.lostWorkerSeconds} s), ${
          cutOff.handlerEnded ? 'so how its handler ended could not be stored' : 'so its handler was stopped'
        }`;
  return new BackgroundJobsError(
    'WBJ_WORKER_LOST',
    `Background job ${jobId} was lost: ${why}; it failed and was not run again`,
  );
}

/** The `errorInfo` of an error raised here, far from the job: a stack would mislead. */
export function remoteErrorInfo(error: Error, handlersPath: string): ErrorInfo {
  error.stack = `${error.name}: ${error.message}`;
  return errorInfoFrom(error, handlersPath);
}
