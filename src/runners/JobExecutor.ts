import { jobLogFields, type LogFields } from '../config/logWriter';
import type { Settings } from '../config/options';
import { BackgroundJobsError } from '../errors';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import { createRunner } from './createRunner';
import type { JobOutcome, JobRunner, JobTask } from './JobRunner';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { type ErrorInfo, errorInfoFrom } from '../jobs/errorInfo';
import type { JobsManager } from '../jobs/ownManager';
import { WaitingJobs } from '../jobs/waitingJobs';
import { JobTracer } from './tracing';
import type { JobTrace } from './traceCarrier';

/** What a run that has nothing to do returns: one settled promise for all of them. */
const SETTLED: Promise<void> = Promise.resolve();

/** Writes a line and the error behind it to the application's logger, with the fields of what it is about. */
export type LogError = (line: string, error: unknown, fields?: LogFields) => void;

/**
 * Runs one job's handler to the job's end, whichever store holds the job: through the runner the settings ask
 * for, under the job's time limit, with failures logged. The job leaves `Active` here unless it was cancelled.
 */
export class JobExecutor {
  readonly #settings: Settings;
  readonly #runner: JobRunner;
  readonly #logError: LogError;
  /** The manager the jobs run for, handed to each run: see `JobTask.manager`. */
  readonly #manager: JobsManager;
  readonly #waits: WaitingJobs;
  /** Absent when the application has not installed `@opentelemetry/api`. */
  readonly #tracer: JobTracer | undefined;

  constructor(settings: Settings, logError: LogError, manager: JobsManager) {
    this.#settings = settings;
    this.#logError = logError;
    this.#manager = manager;
    // On a Redis store this instance's slots: another instance may have free ones, but a wait cannot know.
    this.#waits = new WaitingJobs(settings.maxConcurrency);
    this.#runner = createRunner(settings, logError);
    this.#tracer = JobTracer.create((job, failedTo, error) =>
      logError(
        `[web-background-jobs] Background job ${job.uuid} (${job.methodName}): the application's tracer failed to ${failedTo}`,
        error,
        jobLogFields(job),
      ),
    );
  }

  /** Whether the jobs it runs may be traced: the application has `@opentelemetry/api`. */
  get traced(): boolean {
    return this.#tracer !== undefined;
  }

  /** Live worker threads of the pool: 0 inline and before the first job, then `maxThreads`. */
  get threadCount(): number {
    return this.#runner.threadCount;
  }

  /** Worker threads that died under a job or idle: see {@link JobRunner.threadCrashes}. */
  get threadCrashes(): number {
    return this.#runner.threadCrashes;
  }

  /**
   * Runs the handler as `job`; settles once the job has ended, or its attempt has failed and waits for the next one
   * of its `attempts` (then `job.begin` is undefined), and whatever ran it is free for the next job.
   * @param trace - from the job's `execute`: the attempt's span is the child of the span active there.
   */
  run(
    job: BackgroundJob,
    handler: ResolvedHandler,
    params: unknown[],
    timeoutSeconds: number,
    attempts = 1,
    trace?: JobTrace,
  ): Promise<void> {
    if (job.state !== BackgroundJobState.Active) return SETTLED; // cancelled before its turn came
    // Read only for a job with attempts to spare: most jobs have one, and pay nothing for retries.
    const attempt = attempts > 1 ? job.attempt : attempts;
    const retried = attempt < attempts;
    const span = this.#tracer?.start(job, trace);
    let timer: NodeJS.Timeout | undefined;
    const task: JobTask = {
      job,
      handler,
      params,
      manager: this.#manager,
      waits: this.#waits,
      // The limit covers the handler, not the queue nor a worker's start-up.
      onHandlerStart:
        timeoutSeconds > 0
          ? () =>
              (timer = setTimeout(() => this.#timeOut(job, timeoutSeconds, retried), timeoutSeconds * 1000))
          : undefined,
      onStrayRejection: (errorInfo, error) =>
        this.fail(job, errorInfo, error, true, retried && job.attempt === attempt),
      span,
    };
    const over = (): void => {
      clearTimeout(timer);
      // The attempt failed and the job runs again: its span ends here, the next attempt has one of its own.
      if (retried && job.attempt !== attempt) span?.endAttempt(job.attemptErrors[attempt - 1]);
    };
    let outcome: Promise<JobOutcome>;
    try {
      // Traced: an inline handler runs with the job's span active, so its own spans are the job span's children.
      outcome = span === undefined ? this.#runner.run(task) : span.around(() => this.#runner.run(task));
    } catch (error) {
      over();
      return Promise.reject(error);
    }
    // One then, not an async function: its promise and the one its await made are two more a job (each one
    // costs Node's async hooks' bookkeeping, which AsyncLocalStorage turns on).
    return outcome.then(
      (settled) => {
        try {
          if (retried && job.attempt !== attempt) return; // it timed out and waits for its next attempt: ignored
          if (settled.ok) job.complete(settled.result);
          else this.fail(job, settled.errorInfo, settled.error, false, retried);
        } finally {
          over();
        }
      },
      (error: unknown) => {
        over();
        throw error;
      },
    );
  }

  /**
   * Fails the job, or with `retried` its attempt, and logs it; a rejection left behind by a job that already ended is
   * logged, never lost.
   */
  fail(
    job: BackgroundJob,
    info: ErrorInfo,
    error: unknown,
    unhandledRejection: boolean,
    retried = false,
  ): void {
    const what = `[web-background-jobs] Background job ${job.uuid} (${job.methodName})`;
    const how = unhandledRejection ? ' with an unhandled rejection' : '';
    if (retried && job.state === BackgroundJobState.Active) {
      this.#logError(
        `${what} failed attempt ${job.attempt}${how}, and runs again: ${info.description}`,
        error,
        jobLogFields(job, error),
      );
      job.retry(info);
    } else if (job.fail(info)) {
      this.#logError(`${what} failed${how}: ${info.description}`, error, jobLogFields(job, error));
    } else if (unhandledRejection) {
      this.#logError(
        `${what} left an unhandled rejection after it ended as ${job.state}: ${info.description}`,
        error,
        jobLogFields(job, error),
      );
    }
    // Otherwise the job was cancelled or timed out first: what its handler throws afterwards is ignored, as in 1C.
  }

  /** Stops every run still going and frees the worker threads. */
  close(): Promise<void> {
    return this.#runner.close();
  }

  #timeOut(job: BackgroundJob, timeoutSeconds: number, retried: boolean): void {
    const reason = new BackgroundJobsError(
      'WBJ_JOB_TIMEOUT',
      `Background job ${job.uuid} (${job.methodName}) ran past its time limit of ${timeoutSeconds} s and was stopped`,
    );
    reason.stack = `${reason.name}: ${reason.message}`; // where the timer fired says nothing about the job
    const info = errorInfoFrom(reason, this.#settings.handlersPath);
    if (retried && job.state === BackgroundJobState.Active) {
      this.#logError(
        `[web-background-jobs] ${reason.message}, and runs again`,
        reason,
        jobLogFields(job, reason),
      );
      return job.retry(info, reason);
    }
    job.expire(info, reason);
    if (job.errorInfo === info)
      this.#logError(`[web-background-jobs] ${reason.message}`, reason, jobLogFields(job, reason));
  }
}
