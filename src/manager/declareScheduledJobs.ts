import { BackgroundJobsError } from '../errors';
import type { ScheduledJobData } from '../schedules/scheduledJobData';
import { storedRule } from '../schedules/checkSchedule';
import type { ScheduleStore } from '../stores/ScheduleStore';
import type { ScheduledJobsContext } from './scheduledJobsContext';

/**
 * The start-up of scheduled jobs: the jobs declared in web.config are checked against the handlers folder, and the
 * predefined ones saved and armed, once; while a Redis store is unreachable their saving is tried again, so a start
 * before Redis loses no schedule. `manager.scheduledJobs.ready` is this, and the reads of the collection wait for it,
 * so the declared jobs are there from the first read.
 */

/** How often the jobs declared in web.config are tried again while a Redis store is unreachable at start-up. */
const DECLARE_RETRY_MS = 1000;

/** The start-up under way: when it is done, and when the collection may be read. */
export interface Declarations {
  /**
   * Settles once every declared job is saved; rejects with `WBJ_CONFIG` naming the first job whose method cannot
   * run or that cannot be saved (it is logged too), or `WBJ_CLOSED` when the manager closed while Redis was
   * unreachable.
   */
  readonly ready: Promise<void>;
  /**
   * Resolves once a read sees the declared jobs: they are saved, or one failed (reads answer without it and those
   * after it), or the Redis store is unreachable. `ready` would then wait for Redis for ever; a read fails at once
   * with `WBJ_STORE_UNAVAILABLE`, as any call does while it is down.
   */
  readonly readable: Promise<void>;
  /**
   * For a read that has just reached Redis: if the declared jobs still wait for it, tries them now rather than at
   * their next retry and resolves true once they are saved (or Redis is gone again), for the read to be made again.
   */
  retryIfWaiting(): Promise<boolean>;
}

/** Declares every job of web.config's `<scheduledJobs>`, in order. */
export function declareScheduledJobs(
  context: ScheduledJobsContext,
  store: ScheduleStore,
  isClosing: () => boolean,
): Declarations {
  const pause = new RetryPause();
  const ready = declareAll(context, store, isClosing, pause);
  let done = false;
  const settled = ready.then(
    () => void (done = true),
    () => void (done = true), // logged as it fails; awaiting ready is the application's choice
  );
  return {
    ready,
    readable: Promise.race([settled, pause.firstFailure]),
    async retryIfWaiting() {
      if (done || !pause.waiting) return false;
      const tried = Promise.race([settled, pause.nextFailure]);
      pause.wake();
      await tried;
      return true;
    },
  };
}

async function declareAll(
  context: ScheduledJobsContext,
  store: ScheduleStore,
  isClosing: () => boolean,
  pause: RetryPause,
): Promise<void> {
  for (const { data, line } of context.settings.scheduledJobs) {
    const fail = (problem: string, error: unknown): BackgroundJobsError => {
      const failure = new BackgroundJobsError(
        'WBJ_CONFIG',
        `Scheduled job "${data.name}" ${problem}: ${(error as Error).message} (${context.settings.configFile}, line ${line})`,
        { cause: error },
      );
      context.logError(`[web-background-jobs] ${failure.message}`, error);
      return failure;
    };
    try {
      await context.resolve(data.methodName);
    } catch (error) {
      throw fail(
        `has a method that cannot run, so it is not scheduled: method ${JSON.stringify(data.methodName)}`,
        error,
      );
    }
    if (!data.predefined) continue; // metadata only: its jobs are made by create(name)
    await saveRetrying(context, store, isClosing, pause, data, (error) =>
      fail('could not be saved, so it is not scheduled', error),
    );
  }
}

/** Saves a declared job, waiting out an unreachable Redis store (the wait logged once); any other error is `fail`'s. */
async function saveRetrying(
  context: ScheduledJobsContext,
  store: ScheduleStore,
  isClosing: () => boolean,
  pause: RetryPause,
  data: ScheduledJobData,
  fail: (error: unknown) => BackgroundJobsError,
): Promise<void> {
  for (let waitLogged = false; ;) {
    try {
      // Checked when web.config was read.
      return await store.write(data, storedRule(data.schedule));
    } catch (error) {
      const isUnreachable = (error as { code?: unknown }).code === 'WBJ_STORE_UNAVAILABLE';
      if (isUnreachable && isClosing()) {
        throw new BackgroundJobsError(
          'WBJ_CLOSED',
          `Scheduled job "${data.name}" was not scheduled: the manager closed while the Redis store was unreachable`,
        );
      }
      if (!isUnreachable) throw fail(error);
      if (!waitLogged) {
        context.warn(
          `[web-background-jobs] Scheduled job "${data.name}" is not scheduled yet: ${(error as Error).message}; retrying every ${DECLARE_RETRY_MS / 1000} s`,
        );
        waitLogged = true;
      }
      await pause.sleep();
    }
  }
}

/** The waits between tries while Redis is unreachable: what reads are told of them, and how a read cuts one short. */
class RetryPause {
  /** Whether a try has found Redis unreachable: the declared jobs wait for it, between tries or in one. */
  waiting = false;
  /** Resolves when a try first finds Redis unreachable. */
  readonly firstFailure: Promise<void>;
  /** Resolves when the try under way, or the next, finds Redis unreachable. */
  nextFailure: Promise<void>;
  #failed!: () => void;
  #wake: (() => void) | undefined;

  constructor() {
    this.firstFailure = this.nextFailure = this.#nextFailure();
  }

  /** Tells the readers that a try failed, then waits {@link DECLARE_RETRY_MS} or until {@link wake}. */
  async sleep(): Promise<void> {
    this.waiting = true;
    this.#failed();
    this.nextFailure = this.#nextFailure();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DECLARE_RETRY_MS);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /** Ends the wait under way, if any, so the next try starts now. */
  wake(): void {
    this.#wake?.();
  }

  #nextFailure(): Promise<void> {
    return new Promise((resolve) => (this.#failed = resolve));
  }
}
