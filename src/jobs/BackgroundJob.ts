import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import { BackgroundJobsError, describeValue } from '../errors';
import type { ScheduledJob } from '../schedules/ScheduledJob';
import { BackgroundJobState } from './BackgroundJobState';
import { type ErrorInfo, errorInfoFrom } from './errorInfo';
import { jsonValue } from './jsonValue';
import { redactErrorInfo } from './errorInfo';
import { receivedMessage, type UserMessage, type UserMessageFields } from './UserMessage';
import { waitForCompletion, waitForExecutionCompletion } from './waits';

/** How far a running job has got, as its handler last reported with `progress()`. */
export interface JobProgress {
  /** 0 to 100. */
  readonly percent: number;
  /** What the handler said with it, `''` when nothing. */
  readonly text: string;
  readonly date: Date;
}

/** What a handler reports while it runs, a user message or its progress; it crosses threads as is. */
export type JobReport =
  | ({ readonly kind: 'message'; readonly date: Date } & UserMessageFields)
  | { readonly kind: 'progress'; readonly percent: number; readonly text: string; readonly date: Date };

/**
 * A job as plain data: what `JSON.stringify(job)` and `res.json(job)` send (Dates become ISO strings). It is safe
 * to send to a client: `result` is JSON data whatever the handler returned, and `errorInfo` holds no path outside
 * the handlers folder.
 */
export interface BackgroundJobData {
  readonly uuid: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  readonly state: BackgroundJobState;
  readonly begin: Date | undefined;
  readonly end: Date | undefined;
  readonly progress: JobProgress | undefined;
  readonly messages: readonly UserMessage[];
  /**
   * As JSON.stringify takes it without throwing: BigInts as strings, Maps and Sets as arrays, cycles, nesting past
   * 1,000 levels and what comes past about 64 Mi characters replaced by markers (README: what toJSON() sends).
   */
  readonly result: unknown;
  /** As the dashboard shows it: handler files relative to the handlers folder, every other path hidden. */
  readonly errorInfo: ErrorInfo | undefined;
  /** The scheduled job that started it, by UUID and name. */
  readonly scheduledJob: { readonly uuid: string; readonly name: string } | undefined;
  /** The user a run of a scheduled job is started for (its `userName`); `undefined` when none. */
  readonly userName: string | undefined;
}

/** @internal Proof that a job is built by the manager, which owns its key, history and start. */
export const BUILT_BY_MANAGER: unique symbol = Symbol('web-background-jobs job');

/** @internal What the manager knows of a job when it registers it. */
export interface JobInit {
  readonly builtBy: typeof BUILT_BY_MANAGER;
  readonly uuid: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  /** The scheduled job whose run this is. */
  readonly scheduledJob?: ScheduledJob;
  /** The user it runs for, where no `scheduledJob` tells it (a worker thread's copy of a run). */
  readonly userName?: string;
  /** The handlers folder, which {@link BackgroundJob.toJSON} shows paths relative to. */
  readonly handlersPath: string;
  /** Called once, when the job leaves `Active`. */
  readonly onFinish: (job: BackgroundJob) => void;
  /**
   * Given to a job held in a shared store, whose cancel is decided there: settles once the store has decided, and
   * has brought this object up to date with {@link BackgroundJob.sync}.
   */
  readonly onCancel?: (job: BackgroundJob) => Promise<void>;
  /** Given to a job run for a shared store: passes each report on to the store as well. */
  readonly onReport?: (report: JobReport) => void;
  /** The job that started this one from its handler, then that job's starter, and so on: their UUIDs, nearest first. */
  readonly ancestors?: readonly string[];
  /**
   * Given to a view of a job in a worker thread: waits (up to `timeoutMs`) for the jobs of `views` where they run,
   * on the main thread, and brings the views up to date; a view's own waits go there instead of waiting on a copy.
   */
  readonly settleElsewhere?: SettleElsewhere;
}

/** @internal How the waits of job views in a worker thread are answered by the main thread. */
export type SettleElsewhere = (
  views: readonly BackgroundJob[],
  timeoutMs: number | undefined,
) => Promise<void>;

/**
 * @internal A job's changing part as a shared store holds it; a local copy is brought up to date with it. Its
 * `messages` may be the newer part only: they start at the job's message number `messagesFrom` (0 when absent).
 */
export type JobSnapshot = Omit<
  BackgroundJobData,
  'uuid' | 'methodName' | 'key' | 'description' | 'scheduledJob' | 'userName'
> & { readonly messagesFrom?: number };

const NO_DATA_SEPARATION: Readonly<Record<string, never>> = Object.freeze({});

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
  #state: BackgroundJobState = BackgroundJobState.Active;
  #begin: Date | undefined;
  #end: Date | undefined;
  #errorInfo: ErrorInfo | undefined;
  /** {@link BackgroundJob.publicErrorInfo}, made on first use: the error of a finished job does not change. */
  #publicErrorInfo: ErrorInfo | undefined;
  readonly #handlersPath: string;
  #result: unknown;
  #messages: UserMessage[] = [];
  /** How many messages `getUserMessages(true)` took: a store's snapshot holds them all, this copy shows the rest. */
  #deletedMessages = 0;
  #progress: JobProgress | undefined;
  // Created on first use: most jobs are never cancelled and many never awaited, and each costs allocations.
  #abort: AbortController | undefined;
  /**
   * Called once when the job leaves `Active`, then dropped. A set a wait adds to and removes from, not a promise
   * each wait chains onto: a wait that timed out leaves nothing behind, however long the job runs (БСП polls a
   * job with a one-second ОжидатьЗавершенияВыполнения for as long as it runs).
   */
  #whenFinished: Set<() => void> | undefined;
  readonly #onFinish: (job: BackgroundJob) => void;
  readonly #onCancel: ((job: BackgroundJob) => Promise<void>) | undefined;
  readonly #onReport: ((report: JobReport) => void) | undefined;
  readonly #ancestors: readonly string[];
  readonly #settleElsewhere: SettleElsewhere | undefined;

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
    this.#handlersPath = init.handlersPath;
    this.#onFinish = init.onFinish;
    this.#onCancel = init.onCancel;
    this.#onReport = init.onReport;
    this.#ancestors = init.ancestors ?? [];
    this.#settleElsewhere = init.settleElsewhere;
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

  /** 1C: Состояние. */
  get state(): BackgroundJobState {
    return this.#state;
  }

  /** When the handler started (1C: Начало). A copy: changing it changes nothing. */
  get begin(): Date | undefined {
    return this.#begin && new Date(this.#begin);
  }

  /** When the job left `Active`, `undefined` while active (1C: Конец). A copy. */
  get end(): Date | undefined {
    return this.#end && new Date(this.#end);
  }

  /** Why the job failed; `undefined` unless its state is `Failed` (1C: ИнформацияОбОшибке). */
  get errorInfo(): ErrorInfo | undefined {
    return this.#errorInfo;
  }

  /** The handler's return value (awaited) once `Completed`; beyond 1C, as in OneScript. */
  get result(): unknown {
    return this.#result;
  }

  /** The handler's last `progress(percent, text)`, `undefined` until it reports one; kept after the job ends. */
  get progress(): JobProgress | undefined {
    return this.#progress;
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
    this.#abortSignal(this.#cancelReason());
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
    const received = Object.freeze(this.#messages.slice());
    if (deleteReceived) {
      this.#deletedMessages += received.length;
      this.#messages = [];
    }
    return received;
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
    return {
      uuid: this.uuid,
      methodName: this.methodName,
      key: this.key,
      description: this.description,
      state: this.#state,
      begin: this.begin,
      end: this.end,
      progress: this.#progress,
      messages: this.getUserMessages(),
      result: jsonValue(this.#result),
      errorInfo: this.publicErrorInfo,
      scheduledJob: this.scheduledJob && { uuid: this.scheduledJob.uuid, name: this.scheduledJob.name },
      userName: this.#userName || undefined,
    };
  }

  /** @internal {@link BackgroundJob.errorInfo} as a client may see it: what toJSON() and the dashboard send. */
  get publicErrorInfo(): ErrorInfo | undefined {
    if (this.#errorInfo === undefined) return undefined;
    return (this.#publicErrorInfo ??= redactErrorInfo(this.#errorInfo, this.#handlersPath));
  }

  /** @internal What a handler of this job threw, as its errorInfo would describe it (for detailErrorDescription). */
  errorInfoOf(thrown: unknown): ErrorInfo {
    return errorInfoFrom(thrown, this.#handlersPath);
  }

  /** @internal How many messages the job has reported in all, those `getUserMessages(true)` took included. */
  get messagesReported(): number {
    return this.#deletedMessages + this.#messages.length;
  }

  /**
   * @internal A page of `getUserMessages()` without copying the rest: `limit` messages, oldest first, ending
   * `offset` messages before the newest; `total` is how many it holds.
   */
  messagesPage(offset: number, limit: number): { total: number; messages: readonly UserMessage[] } {
    const total = this.#messages.length;
    const end = Math.max(0, total - offset);
    return { total, messages: this.#messages.slice(Math.max(0, end - limit), end) };
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
    const callbacks = (this.#whenFinished ??= new Set());
    callbacks.add(callback);
    return () => callbacks.delete(callback);
  }

  /** @internal When the job leaves the queue (`at`: the same moment, for its copy in a worker thread). */
  markStarted(at: Date = new Date()): void {
    this.#begin = new Date(at);
  }

  /** @internal Returns false when the job had already finished (its outcome is then ignored). */
  complete(result: unknown): boolean {
    return this.#finish(BackgroundJobState.Completed, () => (this.#result = result));
  }

  /** @internal Returns false when the job had already finished. */
  fail(errorInfo: ErrorInfo): boolean {
    return this.#finish(BackgroundJobState.Failed, () => (this.#errorInfo = errorInfo));
  }

  /** @internal Fails the job for running past its time limit and aborts its signal with that reason. */
  expire(errorInfo: ErrorInfo, reason: BackgroundJobsError): void {
    if (this.fail(errorInfo)) this.#abortSignal(reason);
  }

  /** @internal Records a message or progress the handler reported. */
  record(report: JobReport): void {
    const date = new Date(report.date);
    if (report.kind === 'message') this.#messages.push(receivedMessage(report, date));
    else this.#progress = Object.freeze({ percent: report.percent, text: report.text, date });
    this.#onReport?.(report);
  }

  /** @internal Brings a copy of a job held in a shared store up to date; a finished job takes no later change. */
  sync(snapshot: Omit<JobSnapshot, 'messages'> & { messages?: JobSnapshot['messages'] }): void {
    if (this.#state !== BackgroundJobState.Active) return;
    this.#begin = snapshot.begin;
    this.#progress = snapshot.progress;
    // A job's messages only ever grow: those past the ones this copy has are appended; none given: keep them.
    if (snapshot.messages) {
      const known = this.messagesReported - (snapshot.messagesFrom ?? 0);
      for (let at = Math.max(0, known); at < snapshot.messages.length; at += 1)
        this.#messages.push(snapshot.messages[at]!);
    }
    if (snapshot.state === BackgroundJobState.Active) return;
    this.#finish(
      snapshot.state,
      () => {
        this.#result = snapshot.result;
        this.#errorInfo = snapshot.errorInfo;
      },
      snapshot.end,
    );
    // The signal tells what it tells on the instance that ran the job.
    if (snapshot.state === BackgroundJobState.Canceled) this.#abortSignal(this.#cancelReason());
    if (snapshot.errorInfo?.code === 'WBJ_JOB_TIMEOUT') {
      this.#abortSignal(new BackgroundJobsError('WBJ_JOB_TIMEOUT', snapshot.errorInfo.description));
    }
  }

  #cancelReason(): BackgroundJobsError {
    return new BackgroundJobsError(
      'WBJ_CANCELED',
      `Background job ${this.uuid} (${this.methodName}) was cancelled`,
    );
  }

  #abortSignal(reason: BackgroundJobsError): void {
    (this.#abort ??= new AbortController()).abort(reason);
  }

  #finish(state: BackgroundJobState, record?: () => void, end: Date = new Date()): boolean {
    if (this.#state !== BackgroundJobState.Active) return false;
    record?.();
    this.#state = state;
    this.#end = new Date(end);
    this.#onFinish(this);
    const callbacks = this.#whenFinished;
    this.#whenFinished = undefined;
    callbacks?.forEach((callback) => callback());
    return true;
  }
}

applyAliases(BackgroundJob.prototype, ALIASES.job);
sealMembers(BackgroundJob.prototype, 'a background job (ФоновоеЗадание)');
