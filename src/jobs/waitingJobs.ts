import { BackgroundJobsError } from '../errors';
import type { BackgroundJob } from './BackgroundJob';
import { BackgroundJobState } from './BackgroundJobState';

/**
 * The jobs of one executor that wait, inside their handlers, without a timeout: each holds its running slot (and
 * in thread isolation its worker) while it waits. When every slot would be held so, the jobs awaited can never
 * start, and the wait would never end: it is refused instead, so no job stays `Active` for ever.
 */
export class WaitingJobs {
  /** How many jobs run at once (`jobsMaxConcurrency`, at most `jobsMaxThreads` in thread isolation). */
  readonly #slots: number;
  /** Each waiting job and how many waits it has open (a handler may wait on two lists at once). */
  readonly #waits = new Map<BackgroundJob, number>();

  constructor(slots: number) {
    this.#slots = slots;
  }

  /**
   * Counts `job` as waiting on `pending` until the returned function is called.
   * @throws BackgroundJobsError `WBJ_WAIT_DEADLOCK` when every other slot is held by a waiting job too.
   */
  enter(job: BackgroundJob, pending: readonly BackgroundJob[]): () => void {
    // A job that has ended no longer counts, though a wait it left behind may still run.
    let others = 0;
    for (const waiting of this.#waits.keys())
      if (waiting !== job && waiting.state === BackgroundJobState.Active) others += 1;
    const active = pending.filter((awaited) => awaited.state === BackgroundJobState.Active);
    if (others + 1 >= this.#slots && active.length > 0) {
      throw new BackgroundJobsError(
        'WBJ_WAIT_DEADLOCK',
        `A wait without a timeout inside background job ${job.uuid} (${job.methodName}) would never end: every one of the ${this.#slots} jobs that may run at once (jobsMaxConcurrency, jobsMaxThreads) is waiting, so ${active.map((awaited) => awaited.uuid).join(', ')} can never start. Give the wait a timeout, raise jobsMaxConcurrency (and jobsMaxThreads), or wait outside the jobs`,
      );
    }
    this.#waits.set(job, (this.#waits.get(job) ?? 0) + 1);
    return () => {
      const open = this.#waits.get(job)! - 1;
      if (open > 0) this.#waits.set(job, open);
      else this.#waits.delete(job);
    };
  }
}
