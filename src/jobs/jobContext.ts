import { AsyncLocalStorage } from 'node:async_hooks';
import { BackgroundJobsError, describeValue } from '../errors';
import type { BackgroundJob, JobReport } from './BackgroundJob';
import type { JobsManager } from './ownManager';
import { watchStrayRejections } from './strayRejections';

/** What the code of a running job can reach: its job, its manager, and how to report to it or fail it. */
export interface RunningJob {
  /** The job itself inline; in a worker thread, a copy whose `signal` follows the real job's. */
  readonly job: BackgroundJob;
  /** The manager running the job; `undefined` in a worker thread, where the manager is out of reach. */
  readonly manager: object | undefined;
  /** What the job's own `ФоновыеЗадания` call: its manager inline, the main thread's answers in a worker thread. */
  readonly jobs: JobsManager;
  /**
   * Counts the job as waiting, without a timeout, on `pending` until the returned function is called; throws
   * `WBJ_WAIT_DEADLOCK` where the wait could never end. Absent in a worker thread, whose waits run on the main one.
   */
  readonly enterWait?: (pending: readonly BackgroundJob[]) => () => void;
  /** Fails the job with an error that escaped its promise chain (an unhandled rejection). */
  readonly failFromOutside: (reason: unknown) => void;
  /** Delivers a user message or progress to the job: directly inline, as a note on the run's own channel from a worker. */
  readonly report: (report: JobReport) => void;
}

const context = new AsyncLocalStorage<RunningJob>();

/** The job a stray rejection belongs to: Node reports it in the async context of the rejected promise. */
const claimRejection = (): ((reason: unknown) => void) | undefined => {
  const running = context.getStore();
  return running && ((reason) => running.failFromOutside(reason));
};

/** Runs `work` so that everything it starts, however deeply async, sees `running` as its current job. */
export function runAsJob<T>(running: RunningJob, work: () => T): T {
  watchStrayRejections(claimRejection);
  return context.run(running, work);
}

/** The running job whose code is calling, or `undefined` outside jobs. */
export function currentRunningJob(): RunningJob | undefined {
  return context.getStore();
}

/**
 * How many levels deep jobs started from jobs nest: a job started outside jobs is at level 1. Each job keeps the
 * UUIDs of all its ancestors (a wait without a list skips them), in memory and in its Redis record: a job that
 * starts itself without end would grow them quadratically (94 MB at 8,000 levels). 1C sets no limit of its own.
 */
export const MAX_JOB_NESTING = 100;

/** The ancestors of a job started outside jobs: one array for all of them. */
const NO_ANCESTORS: readonly string[] = Object.freeze([]);

/**
 * The ancestors of a job `manager` starts now: the calling job and its own ancestors when the caller is a job of
 * that manager (directly inline, or a worker thread's call answered on the main thread), else none.
 * @throws BackgroundJobsError `WBJ_NESTING_TOO_DEEP` when the caller is already {@link MAX_JOB_NESTING} levels deep.
 */
export function ancestryFor(manager: object, methodName: string): readonly string[] {
  const running = context.getStore();
  if (running?.manager !== manager) return NO_ANCESTORS;
  const { job } = running;
  const level = job.ancestors.length + 1;
  if (level >= MAX_JOB_NESTING) {
    throw new BackgroundJobsError(
      'WBJ_NESTING_TOO_DEEP',
      `execute(${describeValue(methodName)}) was called from background job ${job.uuid} (${job.methodName}), which is ${level} levels deep in jobs started from jobs: they nest at most ${MAX_JOB_NESTING} levels (does a job start itself without end?)`,
    );
  }
  return [job.uuid, ...job.ancestors];
}

/**
 * Inside a handler: the job it runs as (with `signal`, aborted when the job is cancelled); elsewhere `undefined`.
 * Correct under any number of concurrent jobs.
 */
export function currentJob(): BackgroundJob | undefined {
  return context.getStore()?.job;
}

/**
 * Inside a handler: reports how far the job has got, read back as `job.progress` (`{ percent, text, date }`)
 * while it runs. 1C's БСП: ДлительныеОперации.СообщитьПрогресс.
 * @param percent - a number, clamped to 0..100, or a string holding one (`'50'`, as 1C's Строка would pass it): a
 *   progress report is no reason to fail a job, so an over-eager 150 reads as 100. `undefined` or `null` reports the
 *   text alone and keeps the last percent (0 before any), as БСП's СообщитьПрогресс(Неопределено, Текст) does.
 * @throws BackgroundJobsError `WBJ_NO_CURRENT_JOB` outside a job; `WBJ_BAD_ARGUMENT` for a percent that is no
 *   number at all (NaN, `'half'`, an object) or a text that is not a string.
 */
export function progress(percent?: number | string | null, text = ''): void {
  const running = runningJobOf(`progress(${describeValue(percent)})`);
  const value =
    percent === undefined || percent === null
      ? (lastPercent.get(running) ?? 0)
      : typeof percent === 'string' && percent.trim() !== ''
        ? Number(percent)
        : percent;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `progress(percent) takes a number (clamped to 0..100) or a string holding one, got ${describeValue(percent)}`,
    );
  }
  if (typeof text !== 'string') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `progress(percent, text) takes text as a string, got ${describeValue(text)}`,
    );
  }
  const clamped = Math.min(100, Math.max(0, value));
  lastPercent.set(running, clamped);
  running.report({ kind: 'progress', percent: clamped, text, date: new Date() });
}

/** The percent each running job last reported, for a report of text alone; kept where the handler runs. */
const lastPercent = new WeakMap<RunningJob, number>();

/** The running job whose code is calling; outside jobs, `WBJ_NO_CURRENT_JOB` naming the call. */
export function runningJobOf(call: string): RunningJob {
  const running = context.getStore();
  if (running === undefined) {
    throw new BackgroundJobsError(
      'WBJ_NO_CURRENT_JOB',
      `${call} was called outside a background job; call it from a handler`,
    );
  }
  return running;
}
