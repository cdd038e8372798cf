import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { BackgroundJob } from './BackgroundJob';

/**
 * A list of jobs a caller gave a wait, checked before the wait starts: an array of `BackgroundJob`s, not empty when
 * `nonEmpty` (a wait for any job of an empty list could never end).
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming the caller and the first value that is not a job.
 */
export function checkJobList(jobs: unknown, caller: string, nonEmpty = false): BackgroundJob[] {
  return checkArgument(caller, jobs, () => checkJobs(jobs, caller, nonEmpty));
}

function checkJobs(jobs: unknown, caller: string, nonEmpty: boolean): BackgroundJob[] {
  if (!Array.isArray(jobs)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `${caller} expects an array of background jobs, got ${describeValue(jobs)}`,
    );
  }
  if (nonEmpty && jobs.length === 0) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `${caller} expects at least one background job, got an empty array`,
    );
  }
  // Not forEach: a hole is refused at once, instead of walking a sparse array of length 2^32 − 1. By index, not
  // for…of entries(): a wait on a thousand jobs made a thousand [index, job] pairs.
  for (let index = 0; index < jobs.length; index += 1) {
    const job: unknown = jobs[index];
    if (!(job instanceof BackgroundJob)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `${caller} expects an array of background jobs; jobs[${index}] is ${describeValue(job)}`,
      );
    }
  }
  return jobs as BackgroundJob[];
}
