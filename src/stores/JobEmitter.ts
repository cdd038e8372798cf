import { typoHint } from '../didYouMean';
import { BackgroundJobsError, describeValue } from '../errors';
import type { BackgroundJob, JobReport } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import {
  type BackgroundJobsEventName,
  type BackgroundJobsEvents,
  type BackgroundJobsListener,
  EVENT_NAMES,
  JOB_EVENT_NAMES,
  type JobEventBase,
} from '../jobs/jobEvents';
import { receivedMessage } from '../jobs/UserMessage';
import type { LogError } from '../runners/JobExecutor';

/** The final states of a job, as its events name them. */
export type FinalEvent = 'completed' | 'failed' | 'canceled';

/**
 * @internal What the metrics hear of jobs, in raw fields: a job then builds no event payload for them, and a
 * manager with metrics and no listener allocates nothing more a job. `final` is false for a failed attempt that
 * another follows; `runSeconds` undefined for a job cancelled before it began.
 */
export interface JobObserver {
  started(methodName: string, queuedSeconds: number): void;
  ended(methodName: string, event: FinalEvent, runSeconds: number | undefined, final: boolean): void;
}

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
  readonly #observers: JobObserver[] = [];
  readonly #logError: LogError;
  /** Whether anyone listens to or observes a job's events: kept as listeners come and go, read at every event. */
  #wantsJobEvents = false;

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

  /** @internal Tells `observer` every job's start and end from now on. */
  observe(observer: JobObserver): void {
    this.#observers.push(observer);
    this.#wantsJobEvents = true;
  }

  /** Whether anyone listens to `event`, or observes it: its payload is built only then. */
  wants(event: BackgroundJobsEventName): boolean {
    return this.#listeners[event] !== undefined || (this.#observers.length > 0 && event in OBSERVED);
  }

  /** Whether anyone listens to, or observes, any of a job's events: one read, for a store told of every change. */
  get wantsJobEvents(): boolean {
    return this.#wantsJobEvents;
  }

  /**
   * Tells the observers, then calls each listener of `event` in turn; what one throws or rejects with is logged, and
   * the next is called. For events told from a payload (a Redis store's, the scheduled runs'); a job of a memory
   * store tells the observers its raw fields instead.
   */
  emit<E extends BackgroundJobsEventName>(event: E, payload: BackgroundJobsEvents[E]): void {
    if (this.#observers.length > 0) this.#observePayload(event, payload);
    this.#call(event, payload);
  }

  #observePayload(
    event: BackgroundJobsEventName,
    payload: BackgroundJobsEvents[BackgroundJobsEventName],
  ): void {
    if (!(event in OBSERVED)) return;
    const { methodName, runSeconds, queuedSeconds, willRetry } = payload as Partial<
      Record<'runSeconds' | 'queuedSeconds', number> & { methodName: string; willRetry: boolean }
    >;
    for (const observer of this.#observers) {
      if (event === 'started') observer.started(methodName!, queuedSeconds!);
      else observer.ended(methodName!, event as FinalEvent, runSeconds, willRetry !== true);
    }
  }

  /** Calls each listener of `event` in turn; what one throws or rejects with is logged, and the next is called. */
  #call<E extends BackgroundJobsEventName>(event: E, payload: BackgroundJobsEvents[E]): void {
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
    this.#wantsJobEvents ||= (JOB_EVENT_NAMES as readonly string[]).includes(event);
  }

  #remove(event: BackgroundJobsEventName, removed: Added): void {
    const rest = (this.#listeners[event] ?? []).filter((each) => each !== removed);
    this.#listeners[event] = rest.length === 0 ? undefined : rest;
    this.#wantsJobEvents = JOB_EVENT_NAMES.some((name) => this.wants(name));
  }

  /** A job object of this process was registered (`local`: started here, or run here) `at` (ms). */
  queued(job: BackgroundJob, at: number, delaySeconds?: number): void {
    if (this.#listeners.queued === undefined) return;
    const payload = payloadOf<'queued'>(job, new Date(at));
    if (delaySeconds !== undefined) payload.delaySeconds = delaySeconds;
    this.#call('queued', payload);
  }

  /** A job object of this process began; `queuedAt` is when it was registered (ms). */
  started(job: BackgroundJob, queuedAt: number): void {
    const listened = this.#listeners.started !== undefined;
    if (!listened && this.#observers.length === 0) return;
    // The begin in ms: a Date is made only for a listener's payload (one for `at` and `begin`), never for the metrics.
    const beginTime = job.beginTime ?? Date.now();
    const queuedSeconds = Math.max(0, beginTime - queuedAt) / 1000;
    for (const observer of this.#observers) observer.started(job.methodName, queuedSeconds);
    if (!listened) return;
    const begin = new Date(beginTime);
    const payload = payloadOf<'started'>(job, begin);
    payload.begin = begin;
    payload.queuedSeconds = queuedSeconds;
    payload.attempt = job.attempt;
    this.#call('started', payload);
  }

  /** A job object of this process recorded what its handler reported. */
  reported(job: BackgroundJob, report: JobReport): void {
    if (report.kind === 'progress') {
      if (this.#listeners.progress === undefined) return;
      const progress = job.progress!; // as recorded: its date is this thread's, even for a worker's report
      const payload = payloadOf<'progress'>(job, progress.date);
      payload.progress = progress;
      this.#call('progress', payload);
    } else if (this.#listeners.message !== undefined) {
      const { kind: _kind, date, ...fields } = report;
      const at = new Date(date);
      const payload = payloadOf<'message'>(job, at);
      payload.message = receivedMessage(fields, at);
      this.#call('message', payload);
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
    const listened = this.#listeners[event] !== undefined;
    if (!listened && this.#observers.length === 0) return;
    // Times in ms: the one Date made is the payload's `at`, for a listener; the metrics need none.
    const end = job.endTime!;
    const begin = job.beginTime;
    const began = begin === undefined ? undefined : (end - begin) / 1000;
    const runSeconds = event === 'canceled' ? began : (began ?? 0);
    for (const observer of this.#observers) observer.ended(job.methodName, event, runSeconds, true);
    if (!listened) return;
    const payload = payloadOf<'failed'>(job, new Date(end));
    payload.runSeconds = runSeconds!; // undefined for a job cancelled before it began: CanceledEvent's type
    if (event === 'failed') {
      payload.errorInfo = job.errorInfo!;
      payload.attempt = job.attempt;
      payload.willRetry = false;
    }
    this.#call(event, payload);
  }

  /**
   * An attempt of a job object of this process failed, and the job waits for its next one (`Active`, no `begin`):
   * `begin` is when that attempt began.
   */
  attemptFailed(job: BackgroundJob, begin: Date | undefined): void {
    const listened = this.#listeners.failed !== undefined;
    if (!listened && this.#observers.length === 0) return;
    const at = new Date();
    const runSeconds = begin === undefined ? 0 : Math.max(0, at.getTime() - begin.getTime()) / 1000;
    for (const observer of this.#observers) observer.ended(job.methodName, 'failed', runSeconds, false);
    if (!listened) return;
    const { attemptErrors } = job;
    const payload = payloadOf<'failed'>(job, at);
    payload.runSeconds = runSeconds;
    payload.errorInfo = attemptErrors[attemptErrors.length - 1]!;
    payload.attempt = attemptErrors.length;
    payload.willRetry = true;
    this.#call('failed', payload);
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

/** The events the observers are told: a set, for `in`. */
const OBSERVED = { started: true, completed: true, failed: true, canceled: true } as const;

/** Event `E`'s payload as {@link payloadOf} hands it: its fields writable, for the caller to set its own. */
type Payload<E extends BackgroundJobsEventName> = {
  -readonly [F in keyof BackgroundJobsEvents[E]]: BackgroundJobsEvents[E][F];
};

/**
 * What every event of a job object of this process says of it, which happened `at` (a Date made anyway), as event
 * `E`'s payload whose own fields the caller then sets one by one: one object an event, no spread (on Node 20 a
 * `{ ...fields, more }` takes V8's slow path: about 2 µs an event, against 0.1 µs for the fields set after).
 */
function payloadOf<E extends BackgroundJobsEventName>(job: BackgroundJob, at: Date): Payload<E> {
  const fields: JobEventBase = {
    uuid: job.uuid,
    methodName: job.methodName,
    key: job.key,
    description: job.description,
    owner: job.owner,
    at,
    local: true,
    job,
  };
  return fields as unknown as Payload<E>;
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
