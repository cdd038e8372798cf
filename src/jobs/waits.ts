import { MAX_TIMEOUT_SECONDS } from '../timerLimit';
import { BackgroundJobsError, BackgroundJobsWaitError, describeValue } from '../errors';
import type { BackgroundJob } from './BackgroundJob';
import { BackgroundJobState } from './BackgroundJobState';
import { currentJob, currentRunningJob } from './jobContext';
import type { SettleElsewhere } from './jobInit';

/**
 * Waits until every job has finished. Rejects with `WBJ_WAIT_TIMEOUT` naming the unfinished jobs when the timeout
 * passes first, else with `WBJ_JOBS_FAILED` listing the failed ones. `Canceled` is not a failure.
 */
export function waitForCompletion(
  jobs: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
): Promise<void> {
  return settle(jobs, timeoutSeconds, caller, 'all', true, ({ awaited }) => {
    const unfinished = awaited.filter(isActive);
    if (unfinished.length > 0) {
      throw new BackgroundJobsWaitError(
        'WBJ_WAIT_TIMEOUT',
        `${caller} timed out after ${timeoutSeconds} s; still active: ${unfinished.map(describeJob).join('; ')}`,
        unfinished,
      );
    }
    const failed = awaited.filter((job) => job.state === BackgroundJobState.Failed);
    if (failed.length > 0) {
      const details = failed.map((job) => `${describeJob(job)}: ${job.errorInfo?.description}`).join('; ');
      throw new BackgroundJobsWaitError(
        'WBJ_JOBS_FAILED',
        `${failed.length} background job(s) failed: ${details}`,
        failed,
      );
    }
  });
}

/**
 * 1C 8.3 ОжидатьЗавершенияВыполнения: never rejects for a failure, a cancel or a timeout; resolves with every listed
 * job, in the order given, each in its current state (1C returns the jobs with their state, finished or not).
 */
export function waitForExecutionCompletion(
  jobs: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
): Promise<BackgroundJob[]> {
  return settle(jobs, timeoutSeconds, caller, 'all', false, ({ listed }) => listed.slice());
}

/**
 * OneScript ОжидатьЛюбое: resolves with the first listed job to end (the first finished one in the list, if any has
 * already), or `undefined` when the timeout passes first. OneScript answers the job's index, or -1 on a timeout: a
 * promise of the job itself reads better after `await`, and `undefined` is 1C's Неопределено.
 */
export function waitForAny(
  jobs: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
): Promise<BackgroundJob | undefined> {
  return settle(
    jobs,
    timeoutSeconds,
    caller,
    'any',
    false,
    ({ awaited, first }) => first ?? awaited.find((job) => !isActive(job)),
  );
}

/** What a wait ends with: the jobs listed, those it waited on, and for an `any` wait the job whose end woke it. */
interface Settled {
  readonly listed: readonly BackgroundJob[];
  readonly awaited: readonly BackgroundJob[];
  readonly first?: BackgroundJob;
}

/**
 * Resolves with `answer(settled)` when every awaited job (`all`) or any one of them (`any`) has finished, or the
 * timeout has passed, whichever is first; rejects with what `answer` or a check throws. Event-driven: it wakes on a
 * job's end, not on a polling tick; and the answer is made in the callback of that end, so the caller resumes on
 * the next microtask rather than through a chain of async functions (each link a turn of the microtask queue).
 * `awaited` is the list without the jobs this wait must not wait on.
 */
function settle<T>(
  listed: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
  until: 'all' | 'any',
  refuseSelf: boolean,
  answer: (settled: Settled) => T,
): Promise<T> {
  try {
    const timeoutMs = checkTimeout(timeoutSeconds, caller);
    // By UUID: inside a job on a Redis store or a worker thread, the running job and the copies a manager hands out
    // are different objects. OneScript: a wait called from a background job does not wait on that job.
    const self = currentJob()?.uuid;
    const awaited = self === undefined ? listed : listed.filter((job) => job.uuid !== self);
    if (refuseSelf && awaited.length < listed.length) {
      // Resolving would say the caller has finished; 1C's wait on itself never returns.
      throw new BackgroundJobsError(
        'WBJ_WAIT_DEADLOCK',
        `${caller} was given the job that calls it (${describeJob(currentJob()!)}): a job cannot wait for its own end`,
      );
    }
    // Views of jobs in a worker thread: the main thread, which holds the jobs, waits and brings them up to date.
    let elsewhere: SettleElsewhere | undefined;
    const pending = awaited.filter((job) => {
      if (!isActive(job)) return false;
      elsewhere ??= job.settleElsewhere;
      return true;
    });
    const done = until === 'all' ? pending.length === 0 : pending.length < awaited.length;
    if (done || pending.length === 0) return Promise.resolve(answer({ listed, awaited }));
    if (elsewhere !== undefined) {
      return elsewhere(pending, timeoutMs).then(() => answer({ listed, awaited }));
    }
    // Inside a job, a wait without a timeout holds the job's running slot: refused where it could never end.
    const leave = timeoutMs === undefined ? currentRunningJob()?.enterWait?.(pending) : undefined;
    return new Promise((resolve, reject) =>
      whenEnded(pending, until, timeoutMs, (first) => {
        leave?.();
        try {
          resolve(answer({ listed, awaited, first }));
        } catch (error) {
          reject(error);
        }
      }),
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The active jobs a wait without a list waits on, and answers with: from inside a job, all but the job itself and
 * the jobs it descends from, which wait (or may wait) on it; a child waiting on "all" would otherwise wait on its
 * parent waiting on it, and a caller checking that every job it got back has finished would never see it so.
 */
export function awaitable(active: readonly BackgroundJob[]): BackgroundJob[] {
  const self = currentJob();
  const excluded = new Set(self === undefined ? [] : [self.uuid, ...self.ancestors]);
  return active.filter((job) => !excluded.has(job.uuid));
}

/**
 * Resolves when every one of the active `pending` jobs (`all`) or any one of them (`any`, with it) has finished, or
 * with `undefined` once `timeoutMs` have passed (never when it is `undefined`).
 */
export function ended(
  pending: readonly BackgroundJob[],
  until: 'all' | 'any',
  timeoutMs: number | undefined,
): Promise<BackgroundJob | undefined> {
  return new Promise((resolve) => whenEnded(pending, until, timeoutMs, resolve));
}

/**
 * Calls `end` once every one of the active `pending` jobs (`all`) or any one of them (`any`, with it) has finished,
 * or with `undefined` once `timeoutMs` have passed (never when it is `undefined`). Whichever comes first removes the
 * rest: a wait that ended leaves nothing attached to the jobs, nor a timer.
 */
function whenEnded(
  pending: readonly BackgroundJob[],
  until: 'all' | 'any',
  timeoutMs: number | undefined,
  end: (job?: BackgroundJob) => void,
): void {
  // A job listed twice is one end: watched once (a job holds `countDown` once, and `any` stops at its first end).
  const watched = pending.length > 1 ? [...new Set(pending)] : pending;
  let left = watched.length;
  const stop = (job?: BackgroundJob): void => {
    clearTimeout(timer);
    stops.forEach((unwatch) => unwatch());
    end(job);
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(stop, timeoutMs);
  // One callback for every job of an `all` wait, which only counts their ends; an `any` wait tells which job ended.
  const countDown = (): void => {
    left -= 1;
    if (left === 0) stop();
  };
  // Every job is active here, and none can end before this loop has run: no callback runs during it.
  const stops = watched.map((job) => job.whenFinished(until === 'any' ? () => stop(job) : countDown));
}

function isActive(job: BackgroundJob): boolean {
  return job.state === BackgroundJobState.Active;
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
