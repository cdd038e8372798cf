import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Settings } from '../config/options';
import { BackgroundJobsError } from '../errors';
import { errorInfoFrom, reviveErrorInfo, type ErrorInfo } from '../jobs/errorInfo';
import type { JobOutcome, JobRunner, JobTask } from './JobRunner';
import type { AbortNote, LateRejectionNote, ThreadJobRequest, WorkerNote } from './threadProtocol';

type ThreadSettings = Pick<Settings, 'handlersPath' | 'maxThreads' | 'cancelGraceMs' | 'workerMaxMemoryMb'>;

/**
 * Runs each job in a pool of worker threads (Piscina): a CPU-bound handler cannot stall the application, and a
 * cancelled or timed-out handler that does not return within the grace has its worker terminated and replaced.
 * The pool starts with the first job and keeps `maxThreads` workers, reused between jobs.
 */
export class ThreadRunner implements JobRunner {
  readonly #settings: ThreadSettings;
  readonly #logError: (line: string, error: unknown) => void;
  #pool: Piscina | undefined;
  /** Each run still going, by the function that stops it: signal first, termination after the grace. */
  readonly #runs = new Map<Promise<JobOutcome>, () => void>();

  /** @param logError - the manager's logging, which survives a logger that throws. */
  constructor(settings: ThreadSettings, logError: (line: string, error: unknown) => void) {
    this.#settings = settings;
    this.#logError = logError;
  }

  get threadCount(): number {
    return this.#pool?.threads.length ?? 0;
  }

  run(task: JobTask): Promise<JobOutcome> {
    let stop = (): void => undefined;
    const run = this.#run(task, (stopRun) => (stop = stopRun)).finally(() => this.#runs.delete(run));
    this.#runs.set(run, () => stop());
    return run;
  }

  async close(): Promise<void> {
    for (const stop of this.#runs.values()) stop();
    await Promise.allSettled(this.#runs.keys());
    await this.#pool?.destroy();
  }

  async #run(
    { job, params, onHandlerStart, onStrayRejection }: JobTask,
    setStop: (stop: () => void) => void,
  ): Promise<JobOutcome> {
    const { port1: port, port2: workerPort } = new MessageChannel();
    let receiveOutcome: (outcome: JobOutcome) => void = () => undefined;
    const outcome = new Promise<JobOutcome>((resolve) => (receiveOutcome = resolve));
    port.on('message', (note: WorkerNote) => {
      if (note.kind === 'started') onHandlerStart();
      else if (note.kind === 'message' || note.kind === 'progress') job.record(note);
      else if (note.kind === 'rejection')
        onStrayRejection(reviveErrorInfo(note.errorInfo), errorOf(note.errorInfo));
      else if (note.outcome.ok) receiveOutcome(note.outcome);
      else
        receiveOutcome({
          ok: false,
          errorInfo: reviveErrorInfo(note.outcome.errorInfo),
          error: errorOf(note.outcome.errorInfo),
        });
    });
    const terminate = new AbortController();
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (graceTimer !== undefined) return;
      const reason = job.signal.reason as BackgroundJobsError | undefined;
      const note: AbortNote = {
        code: reason?.code === 'WBJ_JOB_TIMEOUT' ? 'WBJ_JOB_TIMEOUT' : 'WBJ_CANCELED',
        message: reason?.message ?? `Background job ${job.uuid} (${job.methodName}) was cancelled`,
      };
      port.postMessage(note);
      graceTimer = setTimeout(() => terminate.abort(), this.#settings.cancelGraceMs);
    };
    setStop(stop);
    job.signal.addEventListener('abort', stop);
    const request: ThreadJobRequest = {
      port: workerPort,
      handlersPath: this.#settings.handlersPath,
      job: {
        uuid: job.uuid,
        methodName: job.methodName,
        key: job.key,
        description: job.description,
        begin: job.begin ?? new Date(),
      },
      params,
    };
    try {
      const task = this.#openPool().run(request, { transferList: [workerPort], signal: terminate.signal });
      // The outcome travels on the job's port, the task's end on Piscina's: wait for both, in whichever order.
      const [settled] = await Promise.all([outcome, task]);
      return settled;
    } catch (error) {
      return terminate.signal.aborted ? terminatedOutcome(job.uuid) : crashOutcome(error, this.#settings);
    } finally {
      clearTimeout(graceTimer);
      job.signal.removeEventListener('abort', stop);
      port.close();
    }
  }

  #openPool(): Piscina {
    if (this.#pool !== undefined) return this.#pool;
    const { maxThreads, workerMaxMemoryMb } = this.#settings;
    this.#pool = new Piscina({
      filename: path.join(__dirname, 'threadWorker.js'),
      // A fixed-size pool, like 1C's: a terminated or crashed worker is replaced at once.
      minThreads: maxThreads,
      maxThreads,
      // Idle workers run their event loop (Piscina's default blocks it), so a timer a finished job left behind
      // fires while the worker is idle instead of inside the next job.
      atomics: 'disabled',
      ...(workerMaxMemoryMb > 0 && { resourceLimits: { maxOldGenerationSizeMb: workerMaxMemoryMb } }),
    });
    this.#pool.on('message', ({ uuid, methodName, errorInfo }: LateRejectionNote) =>
      this.#logError(
        `[web-background-jobs] Background job ${uuid} (${methodName}) left an unhandled rejection after it ended: ${errorInfo.description}`,
        errorOf(errorInfo),
      ),
    );
    // Without a listener an idle worker's crash would be an uncaught 'error' event of the application.
    this.#pool.on('error', (error: unknown) =>
      this.#logError('[web-background-jobs] A worker thread crashed while no job was running on it:', error),
    );
    return this.#pool;
  }
}

/** A failure that crossed from a worker as an ErrorInfo, as an Error again for the log. */
function errorOf(info: ErrorInfo): Error {
  return Object.assign(new Error(info.description), { stack: info.stack || info.description });
}

/** The handler ignored its signal past the grace; the job had already ended, so this outcome is only logged. */
function terminatedOutcome(uuid: string): JobOutcome {
  const error = new BackgroundJobsError(
    'WBJ_CANCELED',
    `The worker thread of background job ${uuid} was terminated: its handler did not return within the cancel grace`,
  );
  return { ok: false, errorInfo: errorInfoFrom(error, ''), error };
}

/** The worker died under the job: say how, keeping the original error (and its stack) as the cause. */
function crashOutcome(error: unknown, settings: ThreadSettings): JobOutcome {
  const original = error as { message?: unknown; code?: unknown; stack?: unknown };
  const text = String(original?.message ?? error);
  const exitCode = /^worker exited with code: (-?\d+)$/.exec(text)?.[1];
  const description =
    exitCode !== undefined
      ? `The worker thread running the job exited with code ${exitCode} before the job finished (process.exit() in the handler?)`
      : original?.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `The worker thread running the job ran out of memory (jobsWorkerMaxMemoryMb is ${settings.workerMaxMemoryMb || 'not set'}): ${text}`
        : `The worker thread running the job crashed with an uncaught exception: ${text}`;
  const crash = new BackgroundJobsError('WBJ_WORKER_CRASHED', description, { cause: error });
  // Point ErrorInfo at the handler's frames (if the original has any), not at this file.
  const frames =
    typeof original?.stack === 'string'
      ? original.stack.split('\n').filter((line) => /^\s+at /.test(line))
      : [];
  crash.stack = [`${crash.name}: ${description}`, ...frames].join('\n');
  return { ok: false, errorInfo: errorInfoFrom(crash, settings.handlersPath), error: crash };
}
