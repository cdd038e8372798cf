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
export async function waitForCompletion(
  jobs: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
): Promise<void> {
  const { awaited } = await settle(jobs, timeoutSeconds, caller, 'all', true);
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
}

/**
 * 1C 8.3 ОжидатьЗавершенияВыполнения: never rejects for a failure, a cancel or a timeout; resolves with every listed
 * job, in the order given, each in its current state (1C returns the jobs with their state, finished or not).
 */
export async function waitForExecutionCompletion(
  jobs: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
): Promise<BackgroundJob[]> {
  return (await settle(jobs, timeoutSeconds, caller, 'all')).listed.slice();
}

/**
 * OneScript ОжидатьЛюбое: resolves with the first listed job to end (the first finished one in the list, if any has
 * already), or `undefined` when the timeout passes first. OneScript answers the job's index, or -1 on a timeout: a
 * promise of the job itself reads better after `await`, and `undefined` is 1C's Неопределено.
 */
export async function waitForAny(
  jobs: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
): Promise<BackgroundJob | undefined> {
  const { awaited, first } = await settle(jobs, timeoutSeconds, caller, 'any');
  return first ?? awaited.find((job) => !isActive(job));
}

/**
 * Resolves when every awaited job (`all`) or any one of them (`any`) has finished, or the timeout has passed,
 * whichever is first. Event-driven: it wakes on a job's end, not on a polling tick. `awaited` is the list without
 * the jobs this wait must not wait on; `first` the job whose end woke an `any` wait.
 */
async function settle(
  listed: readonly BackgroundJob[],
  timeoutSeconds: unknown,
  caller: string,
  until: 'all' | 'any',
  refuseSelf = false,
): Promise<{ listed: readonly BackgroundJob[]; awaited: readonly BackgroundJob[]; first?: BackgroundJob }> {
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
  if (done || pending.length === 0) return { listed, awaited };
  if (elsewhere !== undefined) {
    await elsewhere(pending, timeoutMs);
    return { listed, awaited };
  }
  // Inside a job, a wait without a timeout holds the job's running slot: refused where it could never end.
  const leave = timeoutMs === undefined ? currentRunningJob()?.enterWait?.(pending) : undefined;
  const ending = ended(pending, until, timeoutMs);
  // Without a slot to give back, no finally: its extra promises would delay every waiter by a microtask turn.
  const first = await (leave === undefined ? ending : ending.finally(leave));
  return { listed, awaited, first };
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
 * with `undefined` once `timeoutMs` have passed (never when it is `undefined`). Whichever comes first removes the
 * rest: a wait that ended leaves nothing attached to the jobs, nor a timer.
 */
export function ended(
  pending: readonly BackgroundJob[],
  until: 'all' | 'any',
  timeoutMs: number | undefined,
): Promise<BackgroundJob | undefined> {
  return new Promise((resolve) => {
    let left = pending.length;
    const end = (job?: BackgroundJob): void => {
      clearTimeout(timer);
      stops.forEach((stop) => stop());
      resolve(job);
    };
    const timer = timeoutMs === undefined ? undefined : setTimeout(end, timeoutMs);
    // Every job is active here, and none can end before this loop has run: no callback runs during it.
    const stops = pending.map((job) =>
      job.whenFinished(() => {
        left -= 1;
        if (until === 'any') end(job);
        else if (left === 0) end();
      }),
    );
  });
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
