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

/** A listener as added: `once` ones are removed as they are called. */
interface Added {
  readonly listener: (payload: never) => unknown;
  readonly once: boolean;
}

/**
 * The one emitter of a manager's events (`manager.on/once/off`). The stores and the scheduled runs emit where the
 * facts are; nothing polls. An event nobody listens to costs one property read: its payload is never built. A
 * listener that throws or rejects is logged and never reaches the job, nor the other listeners. Not Node's
 * EventEmitter: its emit copies the listeners at each call and lets a throw escape to the job.
 */
export class JobEmitter {
  /** Each event's listeners in the order added, replaced (never changed) when one is added or removed. */
  readonly #listeners: Record<BackgroundJobsEventName, readonly Added[] | undefined> = {
    queued: undefined,
    started: undefined,
    progress: undefined,
    message: undefined,
    completed: undefined,
    failed: undefined,
    canceled: undefined,
    'scheduled-run': undefined,
    'scheduled-skip': undefined,
  };
  readonly #logError: LogError;

  constructor(logError: LogError) {
    this.#logError = logError;
  }

  /** @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for an unknown event or a listener that is no function. */
  on<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): void {
    checkListener(event, listener, 'on');
    this.#add(event, { listener, once: false });
  }

  once<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): void {
    checkListener(event, listener, 'once');
    this.#add(event, { listener, once: true });
  }

  /** Removes the listener added last as `listener` (as EventEmitter's off does). */
  off<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): void {
    checkListener(event, listener, 'off');
    const added = this.#listeners[event] ?? [];
    for (let at = added.length - 1; at >= 0; at -= 1) {
      if (added[at]!.listener === listener) return this.#remove(event, added[at]!);
    }
  }

  /** Whether anyone listens to `event`: its payload is built only then. */
  wants(event: BackgroundJobsEventName): boolean {
    return this.#listeners[event] !== undefined;
  }

  /** Calls each listener of `event` in turn; what one throws or rejects with is logged, and the next is called. */
  emit<E extends BackgroundJobsEventName>(event: E, payload: BackgroundJobsEvents[E]): void {
    const added = this.#listeners[event];
    if (added === undefined) return;
    for (const each of added) {
      if (each.once) this.#remove(event, each);
      try {
        const returned = (each.listener as BackgroundJobsListener<E>)(payload);
        if (isThenable(returned))
          returned.then(undefined, (error) => this.#listenerFailed(event, payload, error));
      } catch (error) {
        this.#listenerFailed(event, payload, error);
      }
    }
  }

  #add(event: BackgroundJobsEventName, added: Added): void {
    this.#listeners[event] = [...(this.#listeners[event] ?? []), added];
  }

  #remove(event: BackgroundJobsEventName, removed: Added): void {
    const rest = (this.#listeners[event] ?? []).filter((each) => each !== removed);
    this.#listeners[event] = rest.length === 0 ? undefined : rest;
  }

  /** A job object of this process was registered (`local`: started here, or run here). */
  queued(job: BackgroundJob, delaySeconds?: number): void {
    if (!this.wants('queued')) return;
    const payload: QueuedEvent = jobFields(job, new Date());
    this.emit('queued', delaySeconds === undefined ? payload : { ...payload, delaySeconds });
  }

  /** A job object of this process began; `queuedAt` is when it was registered (ms). */
  started(job: BackgroundJob, queuedAt: number): void {
    if (!this.wants('started')) return;
    const begin = job.begin ?? new Date();
    const payload = jobFields(job, begin) as JobEventBase & {
      begin: Date;
      queuedSeconds: number;
      attempt: number;
    };
    payload.begin = begin;
    payload.queuedSeconds = Math.max(0, begin.getTime() - queuedAt) / 1000;
    payload.attempt = job.attempt;
    this.emit('started', payload);
  }

  /** A job object of this process recorded what its handler reported. */
  reported(job: BackgroundJob, report: JobReport): void {
    if (report.kind === 'progress') {
      if (!this.wants('progress')) return;
      const progress = job.progress!; // as recorded: its date is this thread's, even for a worker's report
      this.emit('progress', { ...jobFields(job, progress.date), progress });
    } else if (this.wants('message')) {
      const { kind: _kind, date, ...fields } = report;
      const at = new Date(date);
      this.emit('message', { ...jobFields(job, at), message: receivedMessage(fields, at) });
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
    const end = job.end!;
    const payload = jobFields(job, end) as JobEventBase & Record<string, unknown>;
    const begin = job.begin?.getTime();
    const runSeconds = begin === undefined ? undefined : (end.getTime() - begin) / 1000;
    payload.runSeconds = event === 'canceled' ? runSeconds : (runSeconds ?? 0);
    if (event === 'failed') {
      payload.errorInfo = job.errorInfo;
      payload.attempt = job.attempt;
      payload.willRetry = false;
    }
    this.emit(event, payload as never);
  }

  /**
   * An attempt of a job object of this process failed, and the job waits for its next one (`Active`, no `begin`):
   * `begin` is when that attempt began.
   */
  attemptFailed(job: BackgroundJob, begin: Date | undefined): void {
    if (!this.wants('failed')) return;
    const { attemptErrors } = job;
    const at = new Date();
    this.emit('failed', {
      ...jobFields(job, at),
      runSeconds: begin === undefined ? 0 : Math.max(0, at.getTime() - begin.getTime()) / 1000,
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

/** What every event of a job object of this process says of it, which happened `at` (a Date made anyway). */
function jobFields(job: BackgroundJob, at: Date): JobEventBase {
  return {
    uuid: job.uuid,
    methodName: job.methodName,
    key: job.key,
    description: job.description,
    owner: job.owner,
    at,
    local: true,
    job,
  };
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
