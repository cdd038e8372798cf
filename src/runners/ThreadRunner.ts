import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { deserialize } from 'node:v8';
import type { MessagePort } from 'node:worker_threads';
import { jobLogFields, type LogFields } from '../config/logWriter';
import type { Settings } from '../config/options';
import { BackgroundJobsError } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { type ErrorInfo, errorInfoFrom, reviveErrorInfo } from '../jobs/errorInfo';
import { frameLocation, handlerRelative } from '../jobs/redaction';
import { runningHere } from './InlineRunner';
import type { JobOutcome, JobRunner, JobTask } from './JobRunner';
import { ThreadCallAnswers } from './threadCallAnswers';
import { inSpan } from './tracing';
import { readLateRejection, readNote, readRunMessage } from './threadNotes';
import {
  type AbortNote,
  resultNotCloneable,
  type ThreadJobOutcome,
  type ThreadJobRequest,
  type WorkerOrder,
} from './threadProtocol';
import { type PoolTask, type WorkerCrash, WorkerPool } from './workerPool';
import { readPriorityRefused, type WorkerPriority } from './workerPriority';

type ThreadSettings = Pick<
  Settings,
  'handlersPath' | 'maxThreads' | 'cancelGraceMs' | 'workerMaxMemoryMb' | 'workerNice'
>;

/**
 * Runs each job in a fixed pool of worker threads (workerPool.ts): a CPU-bound handler cannot stall the application,
 * and a cancelled or timed-out handler that does not return within the grace has its worker terminated and
 * replaced. The pool starts with the first job and keeps `maxThreads` workers, reused between jobs. A run's task,
 * its cancel and the answers to its calls go out on the port of the worker running it; its notes (start, messages,
 * progress, calls of its ФоновыеЗадания) and then its end come back on that port, in order, each marked with a secret
 * made for the run and handed to the worker's code with the task, so a note can only be about the job that worker runs.
 */
export class ThreadRunner implements JobRunner {
  readonly #settings: ThreadSettings;
  readonly #logError: (line: string, error: unknown, fields?: LogFields) => void;
  #pool: WorkerPool | undefined;
  /** The runs still going, with what stops each. */
  readonly #runs = new Map<PoolTask, { readonly stop: () => void; readonly settled: Promise<JobOutcome> }>();
  #crashes = 0;
  /** Whether a worker's refusal to lower its priority was logged: every worker would say the same. */
  #priorityRefusalLogged = false;

  /** @param logError - the manager's logging, which survives a logger that throws. */
  constructor(
    settings: ThreadSettings,
    logError: (line: string, error: unknown, fields?: LogFields) => void,
  ) {
    this.#settings = settings;
    this.#logError = logError;
  }

  get threadCount(): number {
    return this.#pool?.threadCount ?? 0;
  }

  get threadCrashes(): number {
    return this.#crashes;
  }

  run(task: JobTask): Promise<JobOutcome> {
    const { job, params, onHandlerStart, onStrayRejection } = task;
    const pool = this.#openPool();
    const secret = randomUUID();
    let settle!: (outcome: JobOutcome) => void;
    const settled = new Promise<JobOutcome>((resolve) => (settle = resolve));
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (graceTimer !== undefined) return;
      // A run still queued is dropped at once; a running one hears why, and is terminated if still going after the grace.
      if (!pool.post(poolTask, { abort: abortNote(job) } satisfies WorkerOrder))
        return pool.terminate(poolTask);
      graceTimer = setTimeout(() => pool.terminate(poolTask), this.#settings.cancelGraceMs);
    };
    // Stopped when the job's signal aborts: cancelled, timed out, or lost by a Redis store, each of which ends the job
    // (or the attempt, retried after a time limit) and then aborts the signal in the same call; a job failed by a
    // stray rejection ends without it, and runs on.
    // Watching the job's end instead of its signal spares each run an AbortController, which cost more than the rest.
    const unwatch = job.whenAttemptEnds(() =>
      queueMicrotask(() => {
        if (job.signal.aborted && this.#runs.has(poolTask)) stop();
      }),
    );
    const ended = (outcome: JobOutcome): void => {
      clearTimeout(graceTimer);
      unwatch();
      this.#runs.delete(poolTask); // answers still to come are dropped
      settle(outcome);
    };
    let answers: ThreadCallAnswers | undefined;
    let refused = false;
    const note = (message: unknown, port: MessagePort): void => {
      const read = readNote(message);
      if (read?.kind === 'started') onHandlerStart?.();
      else if (read?.kind === 'call') {
        // Answered on this thread, as the job, with its manager; a job that never calls costs nothing.
        answers ??= new ThreadCallAnswers(runningHere(task, this.#settings.handlersPath), port, secret);
        const calls = answers;
        // In the job's span, as an inline handler's calls are: a job it starts is that span's child.
        inSpan(task.span, () => calls.answer(read));
      } else if (read?.kind === 'message' || read?.kind === 'progress') {
        job.record(read);
        task.span?.report(read);
      } else if (read?.kind === 'rejection')
        onStrayRejection(reviveErrorInfo(read.errorInfo), errorOf(read.errorInfo));
      else if (!refused) {
        // Only the worker's own code knows the secret, so this is a bug or memory corruption: said once, never thrown.
        refused = true;
        this.#logError(
          `[web-background-jobs] Background job ${job.uuid} sent a malformed note; dropped:`,
          message,
          jobLogFields(job),
        );
      }
    };
    const request: ThreadJobRequest = {
      handlersPath: this.#settings.handlersPath,
      job: {
        uuid: job.uuid,
        methodName: job.methodName,
        key: job.key,
        description: job.description,
        userName: job.userName,
        owner: job.owner,
        begin: job.begin ?? new Date(),
        attemptErrors: job.attemptErrors,
      },
      params,
      timed: onHandlerStart !== undefined,
      run: secret,
      ...(task.span !== undefined && { trace: task.span.carrier }),
    };
    const poolTask: PoolTask = {
      request: { task: request } satisfies WorkerOrder,
      // A message without the run's secret is dropped: it was sent by an earlier run on the same worker.
      receive: (message, port) => {
        const read = readRunMessage(message, secret);
        if (read === undefined) return false;
        if ('note' in read) {
          note(read.note, port);
          return false;
        }
        ended(this.#outcome(read.end));
        return true;
      },
      died: (death) => {
        if (!death.terminated) this.#crashes += 1;
        ended(death.terminated ? terminatedOutcome(job.uuid) : crashOutcome(death.crash, this.#settings));
      },
    };
    this.#runs.set(poolTask, { stop, settled });
    pool.run(poolTask);
    return settled;
  }

  /** The worker's outcome as the job's: a failure or a serialized result read back. */
  #outcome(outcome: ThreadJobOutcome): JobOutcome {
    if (!outcome.ok) {
      const errorInfo = reviveErrorInfo(outcome.errorInfo);
      return { ok: false, errorInfo, error: errorOf(errorInfo) };
    }
    if (outcome.serialized) return readResult(outcome.result as Uint8Array, this.#settings);
    return { ok: true, result: outcome.result };
  }

  async close(): Promise<void> {
    const runs = [...this.#runs.values()];
    for (const run of runs) run.stop();
    await Promise.allSettled(runs.map((run) => run.settled));
    await this.#pool?.close();
  }

  #openPool(): WorkerPool {
    const { maxThreads, workerMaxMemoryMb, workerNice } = this.#settings;
    this.#pool ??= new WorkerPool({
      filename: path.join(__dirname, 'threadWorker.js'),
      size: maxThreads,
      resourceLimits: workerMaxMemoryMb > 0 ? { maxOldGenerationSizeMb: workerMaxMemoryMb } : undefined,
      workerData: { webBackgroundJobsNice: workerNice } satisfies WorkerPriority,
      idleCrash: (crash) => {
        this.#crashes += 1;
        this.#logError(
          '[web-background-jobs] A worker thread crashed while no job was running on it:',
          'error' in crash ? crash.error : new Error(`The worker thread exited with code ${crash.exitCode}`),
        );
      },
      // Late rejections come on parentPort; anything else a handler posts there itself is ignored.
      parentMessage: (message) => {
        const late = readLateRejection(message);
        if (late !== undefined) this.#logLateRejection(late.uuid, late.methodName, late.errorInfo);
        const refused = readPriorityRefused(message);
        if (refused !== undefined && !this.#priorityRefusalLogged) {
          this.#priorityRefusalLogged = true;
          this.#logError(
            `[web-background-jobs] Worker threads run at the event loop's CPU priority: lowering it by jobsWorkerNice (${workerNice}) was refused`,
            new Error(refused),
          );
        }
      },
    });
    return this.#pool;
  }

  #logLateRejection(uuid: string, methodName: string, errorInfo: ErrorInfo): void {
    this.#logError(
      `[web-background-jobs] Background job ${uuid} (${methodName}) left an unhandled rejection after it ended: ${errorInfo.description}`,
      errorOf(errorInfo),
      { uuid, method: methodName },
    );
  }
}

function abortNote(job: BackgroundJob): AbortNote {
  const reason = job.signal.reason as BackgroundJobsError | undefined;
  return {
    uuid: job.uuid,
    code: reason?.code ?? 'WBJ_CANCELED', // a time limit, or a Redis store's lost job: the handler hears why
    message: reason?.message ?? `Background job ${job.uuid} (${job.methodName}) was cancelled`,
  };
}

/** A failure that crossed from a worker as an ErrorInfo, as an Error again for the log. */
function errorOf(info: ErrorInfo): Error {
  return Object.assign(new Error(info.description), { stack: info.stack || info.description });
}

/**
 * A result the worker serialized, read back. Reading can fail where writing did not (this thread's stack may be
 * shallower than the worker's, for a deeply nested result): the job then fails instead of staying Active forever.
 */
function readResult(serialized: Uint8Array, settings: ThreadSettings): JobOutcome {
  try {
    return { ok: true, result: deserialize(serialized) };
  } catch (error) {
    const failure = resultNotCloneable(error);
    return { ok: false, errorInfo: errorInfoFrom(failure, settings.handlersPath), error: failure };
  }
}

/** The handler ignored its signal past the grace; the job had already ended, so the executor ignores this outcome. */
function terminatedOutcome(uuid: string): JobOutcome {
  const error = new BackgroundJobsError(
    'WBJ_CANCELED',
    `The worker thread of background job ${uuid} was terminated: its handler did not return within the cancel grace`,
  );
  return { ok: false, errorInfo: errorInfoFrom(error, ''), error };
}

/** The worker died under the job: say how, keeping the original error (and its stack) as the cause. */
function crashOutcome(crash: WorkerCrash, settings: ThreadSettings): JobOutcome {
  const failure =
    'exitCode' in crash // nothing was thrown: no cause
      ? new BackgroundJobsError(
          'WBJ_WORKER_CRASHED',
          `The worker thread running the job exited with code ${crash.exitCode} before the job finished (process.exit() in the handler?)`,
        )
      : new BackgroundJobsError('WBJ_WORKER_CRASHED', thrownDescription(crash.error, settings), {
          cause: crash.error,
        });
  const stack = 'error' in crash ? (crash.error as { stack?: unknown } | undefined)?.stack : undefined;
  // Point ErrorInfo at the handler's frames, if the original has any: not at this file, nor at the worker's code,
  // whose path would otherwise be the job's module (1C's ИмяМодуля names the job's own module, or nothing).
  const frames =
    typeof stack === 'string'
      ? stack.split('\n').filter((line) => {
          const file = frameLocation(line)?.file;
          return file !== undefined && handlerRelative(settings.handlersPath, file) !== undefined;
        })
      : [];
  failure.stack = [`${failure.name}: ${failure.message}`, ...frames].join('\n');
  return { ok: false, errorInfo: errorInfoFrom(failure, settings.handlersPath), error: failure };
}

/** What an error a worker died of says: out of memory, or an uncaught exception. */
function thrownDescription(error: unknown, settings: ThreadSettings): string {
  const text = String((error as { message?: unknown } | undefined)?.message ?? error);
  return (error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
    ? `The worker thread running the job ran out of memory (jobsWorkerMaxMemoryMb is ${settings.workerMaxMemoryMb || 'not set'}): ${text}`
    : `The worker thread running the job crashed with an uncaught exception: ${text}`;
}
