import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { deserialize } from 'node:v8';
import { BroadcastChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
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
import { readLateRejection, readNote, readRunNote, readWorkerPort } from './threadNotes';
import {
  type AbortNote,
  resultNotCloneable,
  type ThreadJobRequest,
  type ThreadJobResult,
} from './threadProtocol';

type ThreadSettings = Pick<Settings, 'handlersPath' | 'maxThreads' | 'cancelGraceMs' | 'workerMaxMemoryMb'>;

/** A job on its way through the pool. */
interface ThreadRun {
  /** Takes a note that came, marked with the run's secret, on the port of the worker running it. */
  readonly note: (message: unknown, port: MessagePort) => void;
  /** Aborts the handler's signal, and terminates its worker if it has not returned after the grace. */
  readonly stop: () => void;
  readonly settled: Promise<JobOutcome>;
}

/**
 * Runs each job in a pool of worker threads (Piscina): a CPU-bound handler cannot stall the application, and a
 * cancelled or timed-out handler that does not return within the grace has its worker terminated and replaced.
 * The pool starts with the first job and keeps `maxThreads` workers, reused between jobs. A run's notes (start,
 * messages, progress, calls of its ФоновыеЗадания) come in order on the port of the worker running it, each marked
 * with a secret made for the run and handed to the worker's code with the task, so a note can only be about the job
 * that worker runs; the outcome comes as Piscina's task result; cancels go out on a BroadcastChannel.
 */
export class ThreadRunner implements JobRunner {
  readonly #settings: ThreadSettings;
  readonly #logError: (line: string, error: unknown, fields?: LogFields) => void;
  /** Unique in the process, so each runner's workers hear only its own cancels. */
  readonly #abortChannelName = `web-background-jobs:${randomUUID()}`;
  #abortChannel: BroadcastChannel | undefined;
  #pool: Piscina | undefined;
  /** The runs still going, by their secret. */
  readonly #runs = new Map<string, ThreadRun>();
  /** The ports the workers sent, each listened to for their runs' notes. */
  readonly #ports = new Set<MessagePort>();
  #crashes = 0;

  /** @param logError - the manager's logging, which survives a logger that throws. */
  constructor(
    settings: ThreadSettings,
    logError: (line: string, error: unknown, fields?: LogFields) => void,
  ) {
    this.#settings = settings;
    this.#logError = logError;
  }

  get threadCount(): number {
    return this.#pool?.threads.length ?? 0;
  }

  get threadCrashes(): number {
    return this.#crashes;
  }

  run(task: JobTask): Promise<JobOutcome> {
    const { job, params, onHandlerStart, onStrayRejection } = task;
    const pool = this.#openPool();
    const secret = randomUUID();
    // Every note the worker sent before its task returned must be in before the job ends: the notes travel on the
    // worker's port, the result on Piscina's. Most runs send none, or all of them are in by the result: only a run
    // whose notes are still on their way waits for them, on a promise made then.
    let received = 0;
    let expected = Infinity;
    let allNotesIn: (() => void) | undefined;
    const terminate = new Termination();
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (graceTimer !== undefined) return;
      this.#abortChannel!.postMessage(abortNote(job));
      graceTimer = setTimeout(() => terminate.abort(), this.#settings.cancelGraceMs);
    };
    // Stopped when the job's signal aborts: cancelled, timed out, or lost by a Redis store, each of which ends the job
    // (or the attempt, retried after a time limit) and then aborts the signal in the same call; a job failed by a
    // stray rejection ends without it, and runs on.
    // Watching the job's end instead of its signal spares each run an AbortController, which cost more than the rest.
    const unwatch = job.whenAttemptEnds(() =>
      queueMicrotask(() => {
        if (job.signal.aborted && this.#runs.has(secret)) stop();
      }),
    );
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
      if ((received += 1) >= expected) allNotesIn?.();
    };
    const request: ThreadJobRequest = {
      handlersPath: this.#settings.handlersPath,
      abortChannel: this.#abortChannelName,
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
    const ended = (): void => {
      clearTimeout(graceTimer);
      unwatch();
      this.#runs.delete(secret); // notes and answers still to come are dropped
    };
    // Settled in the microtask that brings the result, unless notes are still on their way: no async function and
    // no finally, whose extra promises and turns every job paid.
    const settled = pool.run(request, { signal: terminate }).then(
      ({ notes, outcome }: ThreadJobResult): JobOutcome | Promise<JobOutcome> => {
        expected = notes;
        const end = (): JobOutcome => (ended(), this.#outcome(outcome));
        return received >= expected
          ? end()
          : new Promise<void>((resolve) => (allNotesIn = resolve)).then(end);
      },
      (error: unknown) => {
        ended();
        if (terminate.aborted) return terminatedOutcome(job.uuid);
        this.#crashes += 1;
        return crashOutcome(error, this.#settings);
      },
    );
    this.#runs.set(secret, { note, stop, settled });
    return settled;
  }

  /** The worker's outcome as the job's: a failure or a serialized result read back. */
  #outcome(outcome: ThreadJobResult['outcome']): JobOutcome {
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
    await this.#pool?.destroy();
    this.#abortChannel?.close();
    for (const port of this.#ports) port.close();
  }

  #openPool(): Piscina {
    if (this.#pool !== undefined) return this.#pool;
    const { maxThreads, workerMaxMemoryMb } = this.#settings;
    this.#abortChannel = new BroadcastChannel(this.#abortChannelName);
    this.#abortChannel.unref();
    this.#pool = new Piscina({
      filename: path.join(__dirname, 'threadWorker.js'),
      // A fixed-size pool, like 1C's: a terminated or crashed worker is replaced at once.
      minThreads: maxThreads,
      maxThreads,
      // Idle workers run their event loop (Piscina's default blocks it), so a timer a finished job left behind
      // fires while the worker is idle instead of inside the next job.
      atomics: 'disabled',
      // Piscina's run-time histogram, which nothing here reads, cost every task two clock reads and two records.
      recordTiming: false,
      ...(workerMaxMemoryMb > 0 && { resourceLimits: { maxOldGenerationSizeMb: workerMaxMemoryMb } }),
    });
    // Workers' ports and late rejections come here; anything else a handler posts on parentPort itself is ignored.
    this.#pool.on('message', (message: unknown) => {
      const port = readWorkerPort(message);
      if (port !== undefined) return this.#listen(port);
      const late = readLateRejection(message);
      if (late !== undefined) this.#logLateRejection(late.uuid, late.methodName, late.errorInfo);
    });
    // Without a listener an idle worker's crash would be an uncaught 'error' event of the application.
    this.#pool.on('error', (error: unknown) => {
      this.#crashes += 1;
      this.#logError('[web-background-jobs] A worker thread crashed while no job was running on it:', error);
    });
    return this.#pool;
  }

  /**
   * Takes the notes that come on a worker's port to the runs whose secrets they carry. A note without the secret of
   * a run still going is dropped: it was sent by a run that has ended (its worker crashed, or was terminated), or
   * forged on a port a handler made.
   */
  #listen(port: MessagePort): void {
    this.#ports.add(port);
    port.on('message', (message: unknown) => {
      const envelope = readRunNote(message);
      if (envelope !== undefined) this.#runs.get(envelope.run)?.note(envelope.note, port);
    });
    port.once('close', () => this.#ports.delete(port));
    port.unref(); // the pool decides how long the application waits for its workers
  }

  #logLateRejection(uuid: string, methodName: string, errorInfo: ErrorInfo): void {
    this.#logError(
      `[web-background-jobs] Background job ${uuid} (${methodName}) left an unhandled rejection after it ended: ${errorInfo.description}`,
      errorOf(errorInfo),
      { uuid, method: methodName },
    );
  }
}

/**
 * What tells Piscina to terminate a run's worker: the least Piscina takes as an abort signal, since a run is
 * terminated only after its cancel's grace, and an AbortController for each run cost more than its message.
 */
class Termination {
  aborted = false;
  #listener: (() => void) | undefined;

  addEventListener(_event: 'abort', listener: () => void): void {
    this.#listener = listener;
  }

  removeEventListener(): void {
    this.#listener = undefined;
  }

  abort(): void {
    this.aborted = true;
    this.#listener?.();
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
  // An exit is the pool's own error, which says nothing the description does not and points into Piscina: no cause.
  const crash = new BackgroundJobsError(
    'WBJ_WORKER_CRASHED',
    description,
    exitCode === undefined ? { cause: error } : undefined,
  );
  // Point ErrorInfo at the handler's frames, if the original has any: not at this file, nor at Piscina's, whose
  // path would otherwise be the job's module (1C's ИмяМодуля names the job's own module, or nothing).
  const frames =
    typeof original?.stack === 'string'
      ? original.stack.split('\n').filter((line) => {
          const file = frameLocation(line)?.file;
          return file !== undefined && handlerRelative(settings.handlersPath, file) !== undefined;
        })
      : [];
  crash.stack = [`${crash.name}: ${description}`, ...frames].join('\n');
  return { ok: false, errorInfo: errorInfoFrom(crash, settings.handlersPath), error: crash };
}
