import { EventEmitter } from 'node:events';
import { typoHint } from '../didYouMean';
import { BackgroundJobsError, describeValue } from '../errors';
import type { BackgroundJob, JobReport } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import {
  type BackgroundJobsEventName,
  type BackgroundJobsEvents,
  type BackgroundJobsListener,
  EVENT_NAMES,
  type JobEventBase,
  type QueuedEvent,
} from '../jobs/jobEvents';
import { receivedMessage } from '../jobs/UserMessage';
import type { LogError } from '../runners/JobExecutor';

/**
 * The one emitter of a manager's events (`manager.on/once/off`). The stores and the scheduled runs emit where the
 * facts are; nothing polls. An event nobody listens to costs one lookup: its payload is never built. A listener that
 * throws or rejects is logged and never reaches the job, nor the other listeners.
 */
export class JobEmitter {
  readonly #emitter = new EventEmitter({ captureRejections: false });
  readonly #logError: LogError;

  constructor(logError: LogError) {
    this.#logError = logError;
    // Any number of listeners is fine here: metrics, traces and the application's own each add some.
    this.#emitter.setMaxListeners(0);
  }

  /** @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for an unknown event or a listener that is no function. */
  on<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): void {
    checkListener(event, listener, 'on');
    this.#emitter.on(event, listener);
  }

  once<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): void {
    checkListener(event, listener, 'once');
    this.#emitter.once(event, listener);
  }

  off<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): void {
    checkListener(event, listener, 'off');
    this.#emitter.off(event, listener);
  }

  /** Whether anyone listens to `event`: its payload is built only then. */
  wants(event: BackgroundJobsEventName): boolean {
    return this.#emitter.listenerCount(event) > 0;
  }

  /** Calls each listener of `event` in turn; what one throws or rejects with is logged, and the next is called. */
  emit<E extends BackgroundJobsEventName>(event: E, payload: BackgroundJobsEvents[E]): void {
    // rawListeners: a once() listener is its wrapper, which removes itself when called.
    for (const listener of this.#emitter.rawListeners(event)) {
      try {
        const returned: unknown = (listener as BackgroundJobsListener<E>)(payload);
        if (isThenable(returned))
          returned.then(undefined, (error) => this.#listenerFailed(event, payload, error));
      } catch (error) {
        this.#listenerFailed(event, payload, error);
      }
    }
  }

  /** A job object of this process was registered (`local`: started here, or run here). */
  queued(job: BackgroundJob, delaySeconds?: number): void {
    if (!this.wants('queued')) return;
    const payload: QueuedEvent = jobFields(job);
    this.emit('queued', delaySeconds === undefined ? payload : { ...payload, delaySeconds });
  }

  /** A job object of this process began; `queuedAt` is when it was registered (ms). */
  started(job: BackgroundJob, queuedAt: number): void {
    if (!this.wants('started')) return;
    const begin = job.begin ?? new Date();
    const queuedSeconds = Math.max(0, begin.getTime() - queuedAt) / 1000;
    this.emit('started', { ...jobFields(job), begin, queuedSeconds, attempt: job.attempt });
  }

  /** A job object of this process recorded what its handler reported. */
  reported(job: BackgroundJob, report: JobReport): void {
    if (report.kind === 'progress') {
      if (this.wants('progress')) this.emit('progress', { ...jobFields(job), progress: job.progress! });
    } else if (this.wants('message')) {
      const { kind: _kind, date, ...fields } = report;
      this.emit('message', { ...jobFields(job), message: receivedMessage(fields, new Date(date)) });
    }
  }

  /** A job object of this process left `Active`. */
  ended(job: BackgroundJob): void {
    const { state } = job;
    const event =
      state === BackgroundJobState.Completed
        ? 'completed'
        : state === BackgroundJobState.Failed
          ? 'failed'
          : 'canceled';
    if (!this.wants(event)) return;
    const fields = jobFields(job);
    const begin = job.begin?.getTime();
    const runSeconds = begin === undefined ? undefined : (job.end!.getTime() - begin) / 1000;
    if (event === 'canceled') return this.emit(event, { ...fields, runSeconds });
    if (event === 'completed') return this.emit(event, { ...fields, runSeconds: runSeconds ?? 0 });
    this.emit(event, {
      ...fields,
      runSeconds: runSeconds ?? 0,
      errorInfo: job.errorInfo!,
      attempt: job.attempt,
      willRetry: false,
    });
  }

  /** An attempt of a job object of this process failed, and the job waits for its next one (`Active`, no `begin`). */
  attemptFailed(job: BackgroundJob): void {
    if (!this.wants('failed')) return;
    const { attemptErrors } = job;
    this.emit('failed', {
      ...jobFields(job),
      runSeconds: 0,
      errorInfo: attemptErrors[attemptErrors.length - 1]!,
      attempt: attemptErrors.length,
      willRetry: true,
    });
  }

  #listenerFailed(event: BackgroundJobsEventName, payload: object, error: unknown): void {
    const { uuid, methodName: method, key } = payload as Partial<JobEventBase>;
    this.#logError(
      `[web-background-jobs] A listener of the '${event}' event${uuid === undefined ? '' : ` of background job ${uuid}`} threw; the job goes on as if it had not`,
      error,
      { uuid, method, key },
    );
  }
}

/** What every event of a job object of this process says of it. */
function jobFields(job: BackgroundJob): JobEventBase {
  const { uuid, methodName, key, description } = job;
  return { uuid, methodName, key, description, at: new Date(), local: true, job };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function checkListener(event: unknown, listener: unknown, caller: string): void {
  if (!(EVENT_NAMES as readonly unknown[]).includes(event)) {
    const hint = typeof event === 'string' ? typoHint(event, EVENT_NAMES) : '';
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `manager.${caller}(event) takes one of ${EVENT_NAMES.join(', ')}; got ${describeValue(event)}${hint}`,
    );
  }
  if (typeof listener !== 'function') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `manager.${caller}('${event}', listener) takes a function as the listener; got ${describeValue(listener)}`,
    );
  }
}
