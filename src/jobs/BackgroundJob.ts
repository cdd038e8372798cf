import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import { BackgroundJobsError, describeValue } from '../errors';
import type { ScheduledJob } from '../schedules/ScheduledJob';
import { BackgroundJobState } from './BackgroundJobState';
import { abortReasonOf, cancelReason } from './abortReasons';
import { type Callbacks, callEach, withCallback, withoutCallback } from './callbacks';
import { type ErrorInfo, errorInfoFrom, redactErrorInfo } from './errorInfo';
import { type BackgroundJobData, publicFields, type JobSnapshot } from './jobData';
import type { JobInit, SettleElsewhere } from './jobInit';
import { type JobProgress, type JobReport, JobReports } from './jobReports';
import { jsonValue } from './jsonValue';
import type { UserMessage } from './UserMessage';
import { waitForCompletion, waitForExecutionCompletion } from './waits';

// The job's shapes, named from here by the rest of src/ and by the package's exports.
export type { BackgroundJobData, JobProgress, JobReport };
/** @internal */
export type { JobSnapshot } from './jobData';

/** @internal Proof that a job is built by the manager, which owns its key, history and start. */
export const BUILT_BY_MANAGER: unique symbol = Symbol('web-background-jobs job');

const NO_DATA_SEPARATION: Readonly<Record<string, never>> = Object.freeze({});
const NO_ANCESTORS: readonly string[] = Object.freeze([]);
const NO_ERRORS: readonly ErrorInfo[] = Object.freeze([]);

/** The 1C names of the job's members (`job.Состояние`, `job.Отменить()`, `job.State`…). */
export interface BackgroundJob extends AliasMembers<
  Pick<BackgroundJob, keyof typeof ALIASES.job>,
  typeof ALIASES.job
> {}

/**
 * One background job (1C: ФоновоеЗадание), created by `manager.execute()`. Its state moves once, from `Active`
 * to `Completed`, `Failed` or `Canceled`, and never back.
 */
export class BackgroundJob {
  readonly #uuid: string;
  readonly #methodName: string;
  readonly #key: string;
  readonly #description: string;
  readonly #scheduledJob: ScheduledJob | undefined;
  readonly #userName: string;
  readonly #owner: string | undefined;
  #state: BackgroundJobState = BackgroundJobState.Active;
  // Times as numbers: the getters hand out a fresh Date anyway, and a job that is never read allocates none.
  #begin: number | undefined;
  #end: number | undefined;
  #errorInfo: ErrorInfo | undefined;
  /** {@link BackgroundJob.publicErrorInfo}, made on first use: the error of a finished job does not change. */
  #publicErrorInfo: ErrorInfo | undefined;
  readonly #handlersPath: string;
  #result: unknown;
  // Created on first use: most jobs report nothing, are never cancelled and many never awaited, and each costs
  // allocations.
  #reports: JobReports | undefined;
  #abort: AbortController | undefined;
  /**
   * Called once when the job leaves `Active`, then dropped. Callbacks, not a promise each wait chains onto: a wait that
   * timed out leaves nothing behind (БСП polls a job with a one-second ОжидатьЗавершенияВыполнения while it runs).
   */
  #whenFinished: Callbacks;
  /** Told of each change a client may watch, until the job ends: see {@link BackgroundJob.watch}. */
  #watchers: Callbacks;
  readonly #onFinish: (job: BackgroundJob) => void;
  readonly #onCancel: ((job: BackgroundJob) => Promise<void>) | undefined;
  readonly #onReport: ((report: JobReport, job: BackgroundJob) => void) | undefined;
  readonly #ancestors: readonly string[];
  readonly #settleElsewhere: SettleElsewhere | undefined;
  /** The errors of the failed attempts before this one (`undefined` for none: most jobs have one attempt). */
  #attemptErrors: readonly ErrorInfo[] | undefined;
  /** What watches the running attempt (a thread run): told when the attempt stops for a retry, too. */
  #attemptWatch: (() => void) | undefined;

  /** @internal Jobs are created by `BackgroundJobsManager.execute`. */
  constructor(init: JobInit) {
    if (init?.builtBy !== BUILT_BY_MANAGER) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        'Background jobs are created by manager.execute(), not with new BackgroundJob()',
      );
    }
    this.#uuid = init.uuid;
    this.#methodName = init.methodName;
    this.#key = init.key;
    this.#description = init.description;
    this.#scheduledJob = init.scheduledJob;
    this.#userName = init.userName ?? init.scheduledJob?.userName ?? '';
    this.#owner = init.owner;
    this.#handlersPath = init.handlersPath;
    this.#onFinish = init.onFinish;
    this.#onCancel = init.onCancel;
    this.#onReport = init.onReport;
    this.#ancestors = init.ancestors ?? NO_ANCESTORS;
    this.#settleElsewhere = init.settleElsewhere;
    if (init.attemptErrors?.length) this.#attemptErrors = Object.freeze([...init.attemptErrors]);
    // No own property may shadow a member the library reads (Object.defineProperty(job, 'state', …)).
    Object.preventExtensions(this);
  }

  /** RFC 4122 version 4 identifier (1C: УникальныйИдентификатор). */
  get uuid(): string {
    return this.#uuid;
  }

  /** The name given to `execute`, as given (1C: ИмяМетода). */
  get methodName(): string {
    return this.#methodName;
  }

  /** The key given to `execute`, `''` when none (1C: Ключ). */
  get key(): string {
    return this.#key;
  }

  /** The description given to `execute`, `''` when none (1C: Наименование). */
  get description(): string {
    return this.#description;
  }

  /** Always an empty frozen object: there is no data separation here (1C: РазделениеДанных). */
  get dataSeparation(): Readonly<Record<string, never>> {
    return NO_DATA_SEPARATION;
  }

  /**
   * The scheduled job this is a run of, as it was when the run started; `undefined` for jobs from `execute`
   * (1C: РегламентноеЗадание).
   */
  get scheduledJob(): ScheduledJob | undefined {
    return this.#scheduledJob;
  }

  /**
   * The user the run is started for: its scheduled job's `userName` (1C: ИмяПользователя, whose session a 1C run
   * opens); `''` for jobs from `execute`. Inside a handler, `currentJob().userName`.
   */
  get userName(): string {
    return this.#userName;
  }

  /** Who the job belongs to: execute's `owner`, else its starting job's (beyond 1C); `undefined` when none. */
  get owner(): string | undefined {
    return this.#owner;
  }

  /** 1C: Состояние. */
  get state(): BackgroundJobState {
    return this.#state;
  }

  /** When the handler started (1C: Начало). A copy: changing it changes nothing. */
  get begin(): Date | undefined {
    return this.#begin === undefined ? undefined : new Date(this.#begin);
  }

  /** When the job left `Active`, `undefined` while active (1C: Конец). A copy. */
  get end(): Date | undefined {
    return this.#end === undefined ? undefined : new Date(this.#end);
  }

  /** Why the job failed; `undefined` unless its state is `Failed` (1C: ИнформацияОбОшибке). */
  get errorInfo(): ErrorInfo | undefined {
    return this.#errorInfo;
  }

  /**
   * Which attempt of its handler the job is at, from 1: the one running, the next one while the job waits for it
   * after a failed attempt, or the last one once the job has ended. Over 1 only with execute's `attempts` option.
   */
  get attempt(): number {
    return (this.#attemptErrors?.length ?? 0) + 1;
  }

  /**
   * The `errorInfo` of each failed attempt before {@link BackgroundJob.attempt}, oldest first (the last attempt's
   * is `errorInfo` once the job has failed); empty when there was no retry. A frozen array.
   */
  get attemptErrors(): readonly ErrorInfo[] {
    return this.#attemptErrors ?? NO_ERRORS;
  }

  /** The handler's return value (awaited) once `Completed`; beyond 1C, as in OneScript. */
  get result(): unknown {
    return this.#result;
  }

  /** The handler's last `progress(percent, text)`, `undefined` until it reports one; kept after the job ends. */
  get progress(): JobProgress | undefined {
    return this.#reports?.progress;
  }

  /** Aborted when the job is cancelled or times out; a handler reads it through `currentJob().signal`. */
  get signal(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal;
  }

  /**
   * Cancels an active job (1C: Отменить): the state becomes `Canceled`, `signal` aborts, the key is freed, and
   * whatever the handler returns or throws later is ignored. A finished job is left as it is.
   * In thread isolation a handler that has not returned within `cancelGraceMs` has its worker terminated;
   * inline, a handler that ignores the signal runs on until it returns.
   *
   * In memory the state changes at once. On a Redis store the cancel is decided in Redis, against the job's
   * worker finishing it at the same moment: the returned promise settles once it is decided, and `state` then
   * reads `Canceled`, or the state the job finished with first. It never rejects: while Redis is unreachable the
   * failure is logged and the job stays `Active`.
   */
  cancel(): Promise<void> {
    if (this.#state !== BackgroundJobState.Active) return Promise.resolve();
    if (this.#onCancel !== undefined) return this.#onCancel(this);
    this.#finish(BackgroundJobState.Canceled);
    this.#abortSignal(cancelReason(this));
    return Promise.resolve();
  }

  /**
   * The messages the handler sent with `message()`, oldest first, as a frozen array
   * (1C: ПолучитьСообщенияПользователю).
   * @param deleteReceived - when `true`, the returned messages are removed from the job.
   */
  getUserMessages(deleteReceived = false): readonly UserMessage[] {
    if (typeof deleteReceived !== 'boolean') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `getUserMessages(deleteReceived) takes a boolean, got ${describeValue(deleteReceived)}`,
      );
    }
    return this.#reports?.take(deleteReceived) ?? Object.freeze([]);
  }

  /**
   * Waits until this job finishes (1C: ОжидатьЗавершения). Rejects with `WBJ_JOBS_FAILED` if it failed and
   * with `WBJ_WAIT_TIMEOUT` if `timeoutSeconds` pass first; a cancelled job resolves the wait.
   */
  waitForCompletion(timeoutSeconds?: number): Promise<void> {
    return waitForCompletion([this], timeoutSeconds, 'job.waitForCompletion');
  }

  /**
   * Waits until this job finishes or `timeoutSeconds` pass, and resolves with the job itself in its state then
   * (`Active` after a timeout): 1C 8.3's `Задание = Задание.ОжидатьЗавершенияВыполнения(Таймаут)`. It never rejects
   * for a failure, a cancel or a timeout: read `state` and `errorInfo`.
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for a timeout that is not a number of seconds.
   */
  async waitForExecutionCompletion(timeoutSeconds?: number): Promise<BackgroundJob> {
    await waitForExecutionCompletion([this], timeoutSeconds, 'job.waitForExecutionCompletion');
    return this;
  }

  /**
   * The job as plain data, so `res.json(job)` answers a client with everything it may show: the result as JSON
   * data, errorInfo without paths outside the handlers folder (the job keeps both as they are). It never throws.
   */
  toJSON(): BackgroundJobData {
    return publicFields(this, { messages: this.getUserMessages(), result: jsonValue(this.#result) });
  }

  /** @internal {@link BackgroundJob.begin} in ms since the epoch, no Date made: a job's events and metrics read it. */
  get beginTime(): number | undefined {
    return this.#begin;
  }

  /** @internal {@link BackgroundJob.end} in ms since the epoch, no Date made. */
  get endTime(): number | undefined {
    return this.#end;
  }

  /** @internal {@link BackgroundJob.errorInfo} as a client may see it: what toJSON() and the dashboard send. */
  get publicErrorInfo(): ErrorInfo | undefined {
    if (this.#errorInfo === undefined) return undefined;
    return (this.#publicErrorInfo ??= redactErrorInfo(this.#errorInfo, this.#handlersPath));
  }

  /** @internal {@link BackgroundJob.attemptErrors} as a client may see them. */
  get publicAttemptErrors(): readonly ErrorInfo[] {
    return this.#attemptErrors?.map((info) => redactErrorInfo(info, this.#handlersPath)) ?? NO_ERRORS;
  }

  /** @internal What a handler of this job threw, as its errorInfo would describe it (for detailErrorDescription). */
  errorInfoOf(thrown: unknown): ErrorInfo {
    return errorInfoFrom(thrown, this.#handlersPath);
  }

  /** @internal How many messages the job has reported in all, those `getUserMessages(true)` took included. */
  get messagesReported(): number {
    return this.#reports?.reported ?? 0;
  }

  /**
   * @internal A page of `getUserMessages()` without copying the rest: `limit` messages, oldest first, ending
   * `offset` messages before the newest; `total` is how many it holds.
   */
  messagesPage(offset: number, limit: number): { total: number; messages: readonly UserMessage[] } {
    return this.#reports?.page(offset, limit) ?? { total: 0, messages: [] };
  }

  /** @internal The UUIDs of the jobs that started this one, nearest first: a wait on all jobs skips them. */
  get ancestors(): readonly string[] {
    return this.#ancestors;
  }

  /** @internal Set on a job's view in a worker thread: where its waits are answered. */
  get settleElsewhere(): SettleElsewhere | undefined {
    return this.#settleElsewhere;
  }

  /** @internal Resolves when the job leaves `Active`: for a caller that waits until it does, without a timeout. */
  get finished(): Promise<void> {
    return new Promise((resolve) => this.whenFinished(resolve));
  }

  /**
   * @internal Calls `callback` when the job leaves `Active` (at once if it has); returns what stops that, which a
   * wait calls when it ends first, so it keeps nothing attached to the job.
   */
  whenFinished(callback: () => void): () => void {
    if (this.#state !== BackgroundJobState.Active) {
      callback();
      return () => {};
    }
    this.#whenFinished = withCallback(this.#whenFinished, callback);
    return () => void (this.#whenFinished = withoutCallback(this.#whenFinished, callback));
  }

  /** @internal As {@link BackgroundJob.whenFinished}, and called too when the running attempt stops for a retry. */
  whenAttemptEnds(callback: () => void): () => void {
    const unwatch = this.whenFinished(callback);
    this.#attemptWatch = callback;
    return () => {
      unwatch();
      if (this.#attemptWatch === callback) this.#attemptWatch = undefined;
    };
  }

  /**
   * @internal Calls `listener` after each change of the job's begin, state, progress or messages, until it ends
   * (a copy of a shared store's job: as it is brought up to date); returns what stops that. A change calls it, so
   * a watcher (the API's event stream) never polls the job.
   */
  watch(listener: () => void): () => void {
    if (this.#state !== BackgroundJobState.Active) return () => {};
    this.#watchers = withCallback(this.#watchers, listener);
    return () => void (this.#watchers = withoutCallback(this.#watchers, listener));
  }

  /** @internal When the job leaves the queue (`at`: the same moment, for its copy in a worker thread). */
  markStarted(at?: Date): void {
    this.#begin = at === undefined ? Date.now() : at.getTime();
    if (this.#abort?.signal.aborted) this.#abort = undefined; // the attempt before timed out: this one runs afresh
    callEach(this.#watchers);
  }

  /**
   * @internal Ends a failed attempt that runs again: its errorInfo joins attemptErrors, its signal aborts with
   * `reason` (a time limit), and the job waits for its next attempt, `Active` with no `begin`.
   */
  retry(errorInfo: ErrorInfo, reason?: BackgroundJobsError): void {
    if (this.#state !== BackgroundJobState.Active) return;
    this.#attemptErrors = Object.freeze([...this.attemptErrors, errorInfo]);
    this.#begin = undefined;
    if (reason !== undefined) this.#abortSignal(reason);
    const watch = this.#attemptWatch;
    this.#attemptWatch = undefined;
    watch?.();
    callEach(this.#watchers);
  }

  /** @internal Returns false when the job had already finished (its outcome is then ignored). */
  complete(result: unknown): boolean {
    if (this.#state !== BackgroundJobState.Active) return false;
    this.#result = result;
    return this.#finish(BackgroundJobState.Completed);
  }

  /** @internal Returns false when the job had already finished. */
  fail(errorInfo: ErrorInfo): boolean {
    if (this.#state !== BackgroundJobState.Active) return false;
    this.#errorInfo = errorInfo;
    return this.#finish(BackgroundJobState.Failed);
  }

  /** @internal Fails the job for running past its time limit and aborts its signal with that reason. */
  expire(errorInfo: ErrorInfo, reason: BackgroundJobsError): void {
    if (this.fail(errorInfo)) this.#abortSignal(reason);
  }

  /** @internal Records a message or progress the handler reported. */
  record(report: JobReport): void {
    (this.#reports ??= new JobReports()).record(report);
    this.#onReport?.(report, this);
    callEach(this.#watchers);
  }

  /** @internal Brings a copy of a job held in a shared store up to date; a finished job takes no later change. */
  sync(snapshot: Omit<JobSnapshot, 'messages'> & { messages?: JobSnapshot['messages'] }): void {
    if (this.#state !== BackgroundJobState.Active) return;
    this.#begin = snapshot.begin?.getTime();
    if (snapshot.attemptErrors !== undefined)
      this.#attemptErrors =
        snapshot.attemptErrors.length > 0 ? Object.freeze([...snapshot.attemptErrors]) : undefined;
    (this.#reports ??= new JobReports()).sync(snapshot.progress, snapshot.messages, snapshot.messagesFrom);
    if (snapshot.state === BackgroundJobState.Active) return callEach(this.#watchers);
    this.#result = snapshot.result;
    this.#errorInfo = snapshot.errorInfo;
    this.#finish(snapshot.state, snapshot.end);
    const reason = abortReasonOf(this, snapshot);
    if (reason !== undefined) this.#abortSignal(reason);
  }

  #abortSignal(reason: BackgroundJobsError): void {
    (this.#abort ??= new AbortController()).abort(reason);
  }

  /** Ends an active job as `state`, its outcome already recorded; false when it had already ended. */
  #finish(state: BackgroundJobState, end?: Date): boolean {
    if (this.#state !== BackgroundJobState.Active) return false;
    this.#state = state;
    this.#end = end === undefined ? Date.now() : end.getTime();
    this.#onFinish(this);
    const callbacks = [this.#whenFinished, this.#watchers];
    this.#whenFinished = this.#watchers = undefined;
    callbacks.forEach(callEach);
    return true;
  }
}

applyAliases(BackgroundJob.prototype, ALIASES.job);
sealMembers(BackgroundJob.prototype, 'a background job (ФоновоеЗадание)');
