import { MAX_TIMEOUT_SECONDS } from '../config/options';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { BackgroundJob } from './BackgroundJob';
import { BackgroundJobState } from './BackgroundJobState';
import { currentJob } from './jobContext';

/** A wait that ended with failed or unfinished jobs; `jobs` lists them. */
export class BackgroundJobsWaitError extends BackgroundJobsError {
  /** The failed jobs (`WBJ_JOBS_FAILED`) or the unfinished ones (`WBJ_WAIT_TIMEOUT`). */
  readonly jobs: readonly BackgroundJob[];

  constructor(code: 'WBJ_JOBS_FAILED' | 'WBJ_WAIT_TIMEOUT', message: string, jobs: readonly BackgroundJob[]) {
    super(code, message);
    this.name = 'BackgroundJobsWaitError';
    this.jobs = Object.freeze(jobs.slice());
  }
}

/**
 * Waits until every job has finished. Rejects with `WBJ_WAIT_TIMEOUT` naming the unfinished jobs when the timeout
 * passes first, else with `WBJ_JOBS_FAILED` listing the failed ones. `Canceled` is not a failure.
 */
export async function waitForCompletion(
  jobs: unknown,
  timeoutSeconds: unknown,
  caller: string,
): Promise<void> {
  const { unfinished } = await settle(jobs, timeoutSeconds, caller);
  if (unfinished.length > 0) {
    throw new BackgroundJobsWaitError(
      'WBJ_WAIT_TIMEOUT',
      `${caller} timed out after ${timeoutSeconds} s; still active: ${unfinished.map(describeJob).join('; ')}`,
      unfinished,
    );
  }
  const failed = (jobs as BackgroundJob[]).filter((job) => job.state === BackgroundJobState.Failed);
  if (failed.length > 0) {
    const details = failed.map((job) => `${describeJob(job)}: ${job.errorInfo?.description}`).join('; ');
    throw new BackgroundJobsWaitError(
      'WBJ_JOBS_FAILED',
      `${failed.length} background job(s) failed: ${details}`,
      failed,
    );
  }
}

/** 1C 8.3 ОжидатьЗавершенияВыполнения: never rejects for failures or a timeout; returns the jobs finished by then. */
export async function waitForExecutionCompletion(
  jobs: unknown,
  timeoutSeconds: unknown,
  caller: string,
): Promise<BackgroundJob[]> {
  return (await settle(jobs, timeoutSeconds, caller)).finished;
}

/**
 * Resolves when every job has finished or the timeout has passed, whichever is first. Event-driven: it wakes
 * on the last job's end, not on a polling tick. A job never waits for itself.
 */
async function settle(
  jobs: unknown,
  timeoutSeconds: unknown,
  caller: string,
): Promise<{ finished: BackgroundJob[]; unfinished: BackgroundJob[] }> {
  const listed = checkArgument(caller, jobs, () => checkJobs(jobs, caller));
  const timeoutMs = checkTimeout(timeoutSeconds, caller);
  const self = currentJob();
  const awaited = listed.filter((job) => job !== self);
  const pending = awaited.filter((job) => job.state === BackgroundJobState.Active);
  if (pending.length > 0) {
    await new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      void Promise.all(pending.map((job) => job.finished)).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return {
    finished: awaited.filter((job) => job.state !== BackgroundJobState.Active),
    unfinished: awaited.filter((job) => job.state === BackgroundJobState.Active),
  };
}

function checkJobs(jobs: unknown, caller: string): BackgroundJob[] {
  if (!Array.isArray(jobs)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `${caller} expects an array of background jobs, got ${describeValue(jobs)}`,
    );
  }
  // for…of, not forEach: a hole is refused at once, instead of walking a sparse array of length 2^32 − 1.
  for (const [index, job] of jobs.entries()) {
    if (!(job instanceof BackgroundJob)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `${caller} expects an array of background jobs; jobs[${index}] is ${describeValue(job)}`,
      );
    }
  }
  return jobs as BackgroundJob[];
}

/** A timeout in seconds as milliseconds (`undefined`: none), or an error naming the caller and the value. */
export function checkTimeout(timeoutSeconds: unknown, caller: string): number | undefined {
  if (timeoutSeconds === undefined || timeoutSeconds === null) return undefined;
  if (typeof timeoutSeconds === 'number' && timeoutSeconds >= 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS) {
    return timeoutSeconds * 1000;
  }
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `${caller}: the timeout must be a number of seconds from 0 to ${MAX_TIMEOUT_SECONDS}, or omitted to wait without one; got ${describeValue(timeoutSeconds)}`,
  );
}

function describeJob(job: BackgroundJob): string {
  return `${job.uuid} (${job.methodName}${job.key ? `, key ${JSON.stringify(job.key)}` : ''})`;
}
