import type { BackgroundJob } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { checkJobList } from '../jobs/jobList';
import { awaitable } from '../jobs/waits';
import type { JobStore } from '../stores/JobStore';

/**
 * `wait` on the listed jobs, checked, or on the active ones of `store` when none are listed; a refusal rejects.
 * Not async: the caller resumes as soon as the wait settles, where an async function returning its promise
 * followed it with a then of its own, two microtask turns later.
 */
export function waitOn<T>(
  store: JobStore,
  jobs: readonly BackgroundJob[] | undefined,
  caller: string,
  wait: (listed: readonly BackgroundJob[]) => Promise<T>,
): Promise<T> {
  if (jobs === undefined || jobs === null) return activeJobs(store).then(wait);
  try {
    return wait(checkJobList(jobs, caller));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What a wait without a list waits on: the active jobs, but neither the calling job nor its ancestors. */
async function activeJobs(store: JobStore): Promise<BackgroundJob[]> {
  return awaitable(await store.list((job) => job.state === BackgroundJobState.Active));
}
