import { BackgroundJobsError, describeValue, messageOf } from '../errors';
import type { BackgroundJob, JobReport } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { newJobUuid } from '../jobs/jobUuid';
import { ConcurrencyGate } from './ConcurrencyGate';
import { JobExecutor } from '../runners/JobExecutor';
import { nextTurn } from '../jobs/turns';
import { waitForExecutionCompletion } from '../jobs/waits';
import type { JobTest } from '../jobs/jobFilter';
import {
  type JobDetailsData,
  type JobRequest,
  type JobRetry,
  type JobStore,
  type JobSummaryData,
  jobStillActive,
  keyConflict,
  keyConflictAction,
  type MessagePage,
  type StoreContext,
  summaryOf,
} from './JobStore';
import { cloneFailure, MAX_NESTING, nestsTooDeep } from '../jobs/storable';
import { buildJob } from './buildJob';
import { retryDelayMs } from './retryDelay';
import type { JobEmitter } from './JobEmitter';

/**
 * The jobs of one manager, held and run in this process: the active ones, the finished ones up to the history
 * size (oldest finished evicted first; active jobs never), the keys the active jobs hold, and the FIFO queue of
 * jobs waiting for a concurrency slot.
 */
export class MemoryJobStore implements JobStore {
  readonly #historySize: number;
  readonly #handlersPath: string;
  readonly #executor: JobExecutor;
  readonly #gate: ConcurrencyGate;
  readonly #events: JobEmitter;
  /** Every job still findable, in the order executed. */
  readonly #jobs = new Map<string, BackgroundJob>();
  /**
   * Finished jobs in the order they finished, the eviction order: it grows to the history size, then is a ring
   * whose oldest job, at `#oldest`, gives its slot to the newest (shifting an array of a thousand jobs moves them all).
   */
  readonly #history: BackgroundJob[] = [];
  #oldest = 0;
  /** `handler identity + key` → the active job holding it. */
  readonly #keys = new Map<string, BackgroundJob>();
  /** Active job → the key slot it holds. */
  readonly #releaseKey = new WeakMap<BackgroundJob, string>();
  /** Jobs waiting for their start or their next attempt → the timer that admits them; their end clears it. */
  readonly #waiting = new Map<BackgroundJob, NodeJS.Timeout>();
  /**
   * Job → the params it was started with, for the dashboard's run again: kept while the job is findable (a Redis
   * store keeps them in its record), and let go with the job.
   */
  readonly #params = new WeakMap<BackgroundJob, unknown[]>();
  /** One set of hooks for every job: a job passes itself to them. */
  readonly #hooks = {
    onFinish: (job: BackgroundJob): void => this.#finished(job),
    onReport: (report: JobReport, job: BackgroundJob): void => this.#events.reported(job, report),
  };
  /** What frees a job's slot once its run has settled: made once, not a closure a job. */
  readonly #release = (): void => this.#gate.release();
  readonly #releaseAndRethrow = (error: unknown): never => {
    this.#gate.release();
    throw error;
  };

  constructor({ settings, logError, manager, events }: StoreContext) {
    this.#events = events;
    this.#historySize = settings.historySize;
    this.#handlersPath = settings.handlersPath;
    this.#executor = new JobExecutor(settings, logError, manager);
    this.#gate = new ConcurrencyGate(settings.maxConcurrency);
  }

  get threadCount(): number {
    return this.#executor.threadCount;
  }

  get threadCrashes(): number {
    return this.#executor.threadCrashes;
  }

  /** By structured clone, as a worker thread receives them. */
  copyParams(params: readonly unknown[]): unknown[] {
    return cloneParams(params);
  }

  /**
   * Synchronous: the job is registered, or refused, before the caller's next line; a job holding the key is joined
   * (returned instead) or replaced (cancelled, which frees its key at once) in the same step.
   */
  start(request: JobRequest): BackgroundJob {
    const { handler, key } = request;
    // 1C: a key is unique among the active jobs of one method. Checked and taken synchronously, so concurrent
    // executes cannot both pass.
    const slot = key === '' ? undefined : `${handler.identity}\0${key}`;
    const holder = slot === undefined ? undefined : this.#keys.get(slot);
    if (holder !== undefined) {
      const action = keyConflictAction(request, holder.owner);
      if (action === 'join') return holder;
      if (action === 'reject') throw keyConflict(holder.uuid, holder.methodName, key);
      void holder.cancel(); // Canceled at once in memory, its key freed by #finished; a thread's worker is stopped as by any cancel
    }
    const job = buildJob(newJobUuid(), request, this.#handlersPath, this.#hooks);
    if (slot !== undefined) {
      this.#keys.set(slot, job);
      this.#releaseKey.set(job, slot);
    }
    this.#jobs.set(job.uuid, job);
    this.#params.set(job, request.params);
    // One clock read for the queued event's time and the started event's wait, and only when one is heard.
    const events = this.#events;
    const now =
      request.startAt !== undefined || events.wants('queued') || events.wants('started') ? Date.now() : 0;
    const delayMs = request.startAt === undefined ? 0 : request.startAt - now;
    events.queued(job, now, delayMs > 0 ? delayMs / 1000 : undefined);
    if (delayMs > 0) this.#wait(job, request, delayMs);
    else this.#admit(job, request, now);
    return job;
  }

  /** Queues an attempt of the job for a concurrency slot; `askedAt` (ms), when read already, is now. */
  #admit(job: BackgroundJob, request: JobRequest, askedAt?: number): void {
    const { handler, params, timeoutSeconds, retry, trace } = request;
    // An attempt's span counts its wait for a slot: the clock is read only for one that waits, when it may be traced.
    let queuedAt: number | undefined;
    let startedAtOnce = false;
    // Its started event says how long it waited: the clock is read now only when that event has a listener, else
    // below if the job waits for a slot (a listener may be added meanwhile).
    let since = askedAt ?? (this.#events.wants('started') ? Date.now() : 0);
    this.#gate.admit((fromQueue) => {
      if (job.state !== BackgroundJobState.Active) return false; // cancelled while queued: pass the turn on
      job.markStarted();
      // A failed attempt that runs again has no begin left: its failed event's run time counts from this one.
      const begin = retry === undefined ? undefined : job.begin;
      this.#events.started(job, since);
      startedAtOnce = !fromQueue;
      // From execute(), run on the next turn: execute() resolves first, and a synchronous handler cannot hold up
      // its caller. A job leaving the queue starts at once, in the slot the previous job just freed.
      const run = (): void =>
        void this.#executor
          .run(job, handler, params, timeoutSeconds, retry?.attempts, {
            carrier: trace,
            executedAt: queuedAt,
          })
          .then(
            retry === undefined ? this.#release : () => this.#retry(job, request, retry, begin),
            this.#releaseAndRethrow,
          );
      if (fromQueue) run();
      else nextTurn(run);
      return true;
    });
    if (startedAtOnce || (since !== 0 && !this.#executor.traced)) return;
    const now = Date.now();
    if (since === 0) since = now;
    if (this.#executor.traced) queuedAt = now;
  }

  /** An attempt of a job with more has run: its slot is free, and if it failed the job waits for the next one. */
  #retry(job: BackgroundJob, request: JobRequest, retry: JobRetry, begin: Date | undefined): void {
    this.#gate.release();
    if (job.state !== BackgroundJobState.Active) return;
    this.#events.attemptFailed(job, begin);
    this.#wait(job, request, retryDelayMs(retry, job.attempt));
  }

  /**
   * The job waits `delayMs` for its start or next attempt, `Active` with no `begin`, holding its key but no slot;
   * a cancel meanwhile ends it at once, and its end clears the timer.
   */
  #wait(job: BackgroundJob, request: JobRequest, delayMs: number): void {
    if (delayMs <= 0) return this.#admit(job, request);
    const timer = setTimeout(() => {
      this.#waiting.delete(job);
      this.#admit(job, request);
    }, delayMs);
    this.#waiting.set(job, timer);
  }

  async get(uuid: string): Promise<BackgroundJob | undefined> {
    return this.#jobs.get(uuid);
  }

  async list(matches: JobTest): Promise<BackgroundJob[]> {
    return [...this.#jobs.values()].filter(matches);
  }

  async summaries(matches: JobTest): Promise<JobSummaryData[]> {
    return (await this.list(matches)).map(summary);
  }

  async details(uuid: string, { offset, limit }: MessagePage): Promise<JobDetailsData | undefined> {
    const job = this.#jobs.get(uuid);
    if (job === undefined) return undefined;
    // A page of the messages, not getUserMessages(): a job with millions of them is not copied whole.
    return { ...summary(job), result: job.result, messages: job.messagesPage(offset, limit).messages };
  }

  async clear(): Promise<void> {
    for (const job of this.#history) this.#jobs.delete(job.uuid);
    this.#history.length = 0;
    this.#oldest = 0;
  }

  async remove(uuid: string): Promise<boolean> {
    const job = this.#jobs.get(uuid);
    if (job === undefined) return false;
    if (job.state === BackgroundJobState.Active) throw jobStillActive(uuid, job.methodName);
    this.#jobs.delete(uuid);
    // The ring laid out again in eviction order, oldest first, without the job: a delete is rare, a ring small.
    const history = this.#history;
    const kept = [...history.slice(this.#oldest), ...history.slice(0, this.#oldest)].filter(
      (finished) => finished !== job,
    );
    kept.forEach((finished, index) => (history[index] = finished)); // no spread: a history may be long
    history.length = kept.length;
    this.#oldest = 0;
    return true;
  }

  async paramsOf(uuid: string): Promise<unknown[] | undefined> {
    const job = this.#jobs.get(uuid);
    return job && this.#params.get(job);
  }

  async close(graceSeconds: number): Promise<void> {
    const active = (): BackgroundJob[] =>
      [...this.#jobs.values()].filter((job) => job.state === BackgroundJobState.Active);
    await waitForExecutionCompletion(active(), graceSeconds, 'close');
    await Promise.all(active().map((job) => job.cancel()));
    await this.#executor.close();
  }

  /** Frees the job's key and moves it into history, evicting the oldest finished jobs beyond the size. */
  #finished(job: BackgroundJob): void {
    const timer = this.#waiting.size === 0 ? undefined : this.#waiting.get(job);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#waiting.delete(job);
    }
    const slot = job.key === '' ? undefined : this.#releaseKey.get(job);
    if (slot !== undefined) {
      this.#keys.delete(slot);
      this.#releaseKey.delete(job);
    }
    const history = this.#history;
    if (history.length < this.#historySize) history.push(job);
    else if (history.length === 0)
      this.#jobs.delete(job.uuid); // a history size of 0 keeps none
    else {
      this.#jobs.delete(history[this.#oldest]!.uuid);
      history[this.#oldest] = job;
      this.#oldest = (this.#oldest + 1) % history.length;
    }
    // After the key is free: a listener may start the next job with it.
    this.#events.ended(job);
  }
}

function summary(job: BackgroundJob): JobSummaryData {
  return summaryOf(job, job.messagesPage(0, 0).total);
}

/** 1C passes copies of parameters; so do we, and name the first one that cannot be copied. */
function cloneParams(params: readonly unknown[]): unknown[] {
  if (params.length === 0) return []; // most jobs take none: nothing to clone nor check
  // By index, each read inside the try: a getter on the array itself may throw too.
  return Array.from({ length: params.length }, (_, index) => {
    let param: unknown;
    try {
      param = params[index];
    } catch (error) {
      throw notCloneable(`params[${index}]`, `reading it threw ${messageOf(error)}`, error);
    }
    let copy: unknown;
    try {
      copy = structuredClone(param);
    } catch (error) {
      throw notCloneable(`params[${index}] (${describeValue(param)})`, cloneFailure(error), error);
    }
    // Deeper data may still fit this stack, but not a worker's, nor a later JSON.stringify.
    if (nestsTooDeep(copy)) {
      throw notCloneable(
        `params[${index}] (${describeValue(param)})`,
        `it nests deeper than ${MAX_NESTING} levels, the most a job's data may`,
      );
    }
    return copy;
  });
}

function notCloneable(param: string, why: string, cause?: unknown): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_PARAM_NOT_CLONEABLE',
    `${param} cannot be passed to a background job: ${why}. Pass plain data (numbers, strings, arrays, objects, Dates, Maps…)`,
    cause === undefined ? undefined : { cause },
  );
}
