import { existsSync } from 'node:fs';
import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import type { BackgroundJobsOptions, Settings } from '../config/options';
import { BackgroundJobsError, describeValue } from '../errors';
import { HandlerResolver, type ResolvedHandler } from '../loader/HandlerResolver';
import { traceOfExecute } from '../runners/tracingContext';
import { BUILT_BY_MANAGER_FOR_SCHEDULES, ScheduledJobs } from './ScheduledJobs';
import { createStore } from '../stores/createStore';
import { JobEmitter, type JobObserver } from '../stores/JobEmitter';
import type { BackgroundJobsEventName, BackgroundJobsListener } from '../jobs/jobEvents';
import type { JobDetailsData, JobStore, JobSummaryData, MessagePage, StoreOutages } from '../stores/JobStore';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { type BackgroundJobFilter, compileFilter, type JobTest } from '../jobs/jobFilter';
import { ancestryFor, currentRunningJob } from '../jobs/jobContext';
import { checkJobList } from '../jobs/jobList';
import { waitForAny, waitForCompletion, waitForExecutionCompletion } from '../jobs/waits';
import type { ExecuteOptions, JobsManager } from '../jobs/ownManager';
import {
  checkedUuid,
  checkExecuteArguments,
  closeGraceSeconds,
  executeOptions,
  executeRetries,
} from './managerArguments';
import { type ManagerLog, managerLog } from './managerLog';
import { type LoadedSettings, managerSettings } from './managerSettings';
import { waitOn } from './managerWaits';

/** execute's default params: one empty array for every call without them (the store copies params anyway). */
const NO_PARAMS: readonly unknown[] = Object.freeze([]);
const NO_OUTAGES: StoreOutages = Object.freeze({ since: undefined, pastMs: 0 });

/** @internal */
export { LOADED_SETTINGS, type LoadedSettings } from './managerSettings';

/** The 1C names of the manager's methods (`manager.Выполнить()`, `manager.Execute()`…). */
export interface BackgroundJobsManager extends AliasMembers<
  Pick<BackgroundJobsManager, keyof typeof ALIASES.manager>,
  typeof ALIASES.manager
> {}

/**
 * Starts, finds and awaits background jobs (1C: МенеджерФоновыхЗаданий). One per application; the
 * `backgroundJobs()` middleware creates it and hands it to every request as `req.backgroundJobs`.
 */
export class BackgroundJobsManager implements JobsManager {
  /** The validated settings: web.config keys merged with the options (`settings.checkInterval`…). */
  readonly settings: Settings;
  readonly #logError: ManagerLog['logError'];
  readonly #warn: ManagerLog['warn'];
  readonly #resolver: HandlerResolver;
  readonly #store: JobStore;
  readonly #scheduledJobs: ScheduledJobs;
  readonly #events = new JobEmitter((line, error, fields) => this.#logError(line, error, fields));
  #closing: Promise<void> | undefined;

  /**
   * Reads web.config and validates every setting now, so a bad configuration fails at start-up. A web.config that
   * exists but does not attach the library (no `WebBackgroundJobs` = `attachAssembly`) is refused: an operator
   * detaches an instance by removing that key, and a detached instance must not run jobs from a shared store.
   * @throws BackgroundJobsError `WBJ_CONFIG`, naming the file, key, line and expected form, or saying the file
   *   does not attach the library.
   */
  constructor(options?: BackgroundJobsOptions);
  /** @internal backgroundJobs(): the settings it loaded from these options, so web.config is read (and warned about) once. */
  constructor(options: BackgroundJobsOptions, loaded: LoadedSettings);
  constructor(options: BackgroundJobsOptions = {}, loaded?: LoadedSettings) {
    const { log, settings } = managerSettings(options, loaded);
    ({ logError: this.#logError, warn: this.#warn } = managerLog(log));
    this.settings = settings;
    this.#resolver = new HandlerResolver(this.settings.handlersPath);
    this.#store = createStore({
      settings: this.settings,
      logError: this.#logError,
      warn: this.#warn,
      manager: this,
      resolve: (methodName) => this.#resolver.resolve(methodName),
      scheduledJobFrom: (data) => this.#scheduledJobs.scheduledJobFrom(data, undefined),
      events: this.#events,
    });
    this.#scheduledJobs = new ScheduledJobs(BUILT_BY_MANAGER_FOR_SCHEDULES, {
      settings: this.settings,
      resolve: (methodName) => this.#resolver.resolve(methodName),
      copyParams: (params) => this.#store.copyParams(params),
      start: (request) => this.#store.start(request),
      findJob: (uuid) => this.#store.get(uuid),
      logError: this.#logError,
      warn: this.#warn,
      events: this.#events,
    });
    if (!existsSync(this.settings.handlersPath)) {
      this.#warn(
        `[web-background-jobs] The handlers folder ${this.settings.handlersPath} does not exist yet; execute() fails until it does.`,
      );
    }
  }

  /** The scheduled jobs: declared in web.config's `<scheduledJobs>` and created through it (1C: РегламентныеЗадания). */
  get scheduledJobs(): ScheduledJobs {
    return this.#scheduledJobs;
  }

  /** Live worker threads of the pool: 0 inline and before the first job, then `maxThreads`. */
  get threadCount(): number {
    return this.#store.threadCount;
  }

  /** @internal For the metrics: worker threads of this process that died, since the manager was made. */
  get threadCrashes(): number {
    return this.#store.threadCrashes;
  }

  /**
   * @internal For the metrics' method labels: the handler `methodName` names, at once when this manager resolved it
   * before (every job it started or ran).
   * @throws BackgroundJobsError `WBJ_BAD_METHOD_NAME`; rejects as `execute` would for a name that names no handler.
   */
  handlerOf(methodName: string): ResolvedHandler | Promise<ResolvedHandler> {
    return this.#resolver.known(methodName) ?? this.#resolver.resolve(methodName);
  }

  /** @internal For the metrics: tells `observer` each job's start and end, as raw fields (no event payload). */
  observeJobs(observer: JobObserver): void {
    this.#events.observe(observer);
  }

  /** @internal For the metrics: the outages of the store's server; a memory store has none. */
  get storeOutages(): StoreOutages {
    return this.#store.outages ?? NO_OUTAGES;
  }

  /**
   * Calls `listener` with each `event` of this manager's jobs (`queued`, `started`, `progress`, `message`,
   * `completed`, `failed`, `canceled`) and scheduled jobs (`scheduled-run`, `scheduled-skip`): in memory every job;
   * on a Redis store the jobs this instance started or runs, or every instance's with `events: 'all'`. A listener
   * that throws or rejects is logged; the job goes on as if it had not.
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for an unknown event or a listener that is no function.
   */
  on<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): this {
    this.#events.on(event, listener);
    return this;
  }

  /** As {@link on}, for the next `event` only. */
  once<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): this {
    this.#events.once(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on} or {@link once}; one never added is ignored. */
  off<E extends BackgroundJobsEventName>(event: E, listener: BackgroundJobsListener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Starts `methodName` (`"Module.Method"`) in the background with copies of `params` (1C: Выполнить). Resolves
   * as soon as the job is registered, without waiting for it; over `maxConcurrency` it waits its turn, `Active`.
   * @param params - passed positionally; copied at the call, before the promise is returned, as 1C copies them:
   *   with structured clone (JSON data only on a Redis store).
   * @param key - while an active job of the same method holds this key, another execute with it rejects (unless
   *   `onKeyConflict` says otherwise).
   * @param options - `timeoutSeconds` overrides `jobsTimeoutSeconds` for this job (0: no limit); `owner` names
   *   who the job belongs to (`job.owner`), by default the owner of the job whose handler calls execute;
   *   `onKeyConflict` says what happens when the key is held: `'reject'` (default), `'join'` (resolve with the job
   *   holding it) or `'replace'` (cancel that job, then start this one), the last two for a job of the same owner only.
   * @throws BackgroundJobsError `WBJ_BAD_METHOD_NAME`, `WBJ_HANDLER_NOT_FOUND`, `WBJ_HANDLER_AMBIGUOUS`,
   *   `WBJ_HANDLER_LOAD_FAILED`, `WBJ_PARAM_NOT_CLONEABLE`, `WBJ_KEY_CONFLICT`, `WBJ_BAD_ARGUMENT` or
   *   `WBJ_CLOSED`; on a Redis store also `WBJ_PARAM_NOT_STORABLE` and `WBJ_STORE_UNAVAILABLE`. Nothing has run then.
   */
  async execute(
    methodName: string,
    params: readonly unknown[] = NO_PARAMS,
    key = '',
    description = '',
    options?: ExecuteOptions,
  ): Promise<BackgroundJob> {
    this.#refuseIfClosed(methodName);
    checkExecuteArguments(params, key, description);
    const ancestors = ancestryFor(this, methodName); // called from a job's handler: the job started is its child
    const checked = executeOptions(options);
    const timeoutSeconds = checked.timeoutSeconds ?? this.settings.timeoutSeconds;
    // A child job belongs to its parent's user, as a 1C job started from a user's job runs as that user.
    const owner = checked.owner ?? this.getCurrent()?.owner;
    const retries = options === undefined ? undefined : executeRetries(checked);
    // 1C copies the parameters at the call: before the first await, so a later change to them changes nothing.
    const copies = this.#store.copyParams(params);
    // A handler resolved before is at hand: no promise to wait for.
    const handler = this.#resolver.known(methodName) ?? (await this.#resolver.resolve(methodName));
    this.#refuseIfClosed(methodName);
    return this.#store.start({
      methodName,
      handler,
      params: copies,
      key,
      description,
      timeoutSeconds,
      ancestors,
      owner,
      onKeyConflict: checked.onKeyConflict,
      // Named, not spread: an object literal of a fixed shape is what a store's start reads fastest.
      retry: retries?.retry,
      startAt: retries?.startAt,
      trace: traceOfExecute(), // after the awaits: the context is the caller's all the same
    });
  }

  /**
   * Waits until every listed job has finished (1C: ОжидатьЗавершения); all active jobs when `jobs` is omitted.
   * Rejects with `WBJ_JOBS_FAILED` if any failed (cancelled ones did not) and `WBJ_WAIT_TIMEOUT` if
   * `timeoutSeconds` pass first; the error's `jobs` lists them. Called from inside a job, it skips that job.
   */
  waitForCompletion(jobs?: readonly BackgroundJob[], timeoutSeconds?: number): Promise<void> {
    return waitOn(this.#store, jobs, 'waitForCompletion', (listed) =>
      waitForCompletion(listed, timeoutSeconds, 'waitForCompletion'),
    );
  }

  /**
   * 1C 8.3 ОжидатьЗавершенияВыполнения: waits like {@link waitForCompletion} but never rejects for a failure, a
   * cancel or a timeout; resolves with every listed job, in the order given, each in its current state (`Active`
   * when the timeout passed first). Without `jobs`: the jobs active at the call.
   */
  waitForExecutionCompletion(
    jobs?: readonly BackgroundJob[],
    timeoutSeconds?: number,
  ): Promise<BackgroundJob[]> {
    return waitOn(this.#store, jobs, 'waitForExecutionCompletion', (listed) =>
      waitForExecutionCompletion(listed, timeoutSeconds, 'waitForExecutionCompletion'),
    );
  }

  /**
   * Waits until any one of `jobs` has finished (OneScript: ОжидатьЛюбое) and resolves with it; a job already
   * finished in the list ends the wait at once. Resolves with `undefined` when `timeoutSeconds` pass first
   * (OneScript answers -1 then). Never rejects for a failure or a cancel.
   */
  async waitForAny(
    jobs: readonly BackgroundJob[],
    timeoutSeconds?: number,
  ): Promise<BackgroundJob | undefined> {
    return waitForAny(checkJobList(jobs, 'waitForAny', true), timeoutSeconds, 'waitForAny');
  }

  /**
   * Removes every finished job from history (OneScript: Очистить): they are no longer listed nor found. Active
   * jobs stay. On a Redis store, from the history every instance shares.
   * @throws BackgroundJobsError `WBJ_STORE_UNAVAILABLE` or `WBJ_CLOSED` on a Redis store.
   */
  async clear(): Promise<void> {
    return this.#store.clear();
  }

  /**
   * Active jobs and finished ones still in history, in the order executed (1C: ПолучитьФоновыеЗадания).
   * @param filter - every given field must match; an unknown key is an error.
   */
  async getBackgroundJobs(filter?: BackgroundJobFilter): Promise<BackgroundJob[]> {
    return this.#store.list(compileFilter(filter));
  }

  /**
   * The active or remembered job with this UUID, else `undefined` (1C: НайтиПоУникальномуИдентификатору).
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` when `uuid` is not a UUID.
   */
  async findByUUID(uuid: string): Promise<BackgroundJob | undefined> {
    return this.#store.get(checkedUuid(uuid, 'findByUUID'));
  }

  /**
   * @internal The dashboard's list: summaries of the jobs that pass `filter` and `also`, in the order executed,
   * read without any job's params, result or messages.
   */
  async getJobSummaries(filter: BackgroundJobFilter, also: JobTest): Promise<JobSummaryData[]> {
    const matches = compileFilter(filter);
    return this.#store.summaries((job) => matches(job) && also(job));
  }

  /** @internal The dashboard's details: the job with its result and one page of its messages. */
  async getJobDetails(uuid: string, page: MessagePage): Promise<JobDetailsData | undefined> {
    return this.#store.details(checkedUuid(uuid, 'The jobs dashboard'), page);
  }

  /**
   * @internal The dashboard's delete: removes one finished job from history; `false` when no such job is known.
   * @throws BackgroundJobsError `WBJ_JOB_ACTIVE` when the job has not ended.
   */
  async deleteFromHistory(uuid: string): Promise<boolean> {
    return this.#store.remove(checkedUuid(uuid, 'The jobs dashboard'));
  }

  /**
   * @internal The dashboard's run again: a new job of the same method, params, key, description and owner (the key
   * rule applies); `undefined` when no such job is known.
   */
  async runAgain(uuid: string): Promise<BackgroundJob | undefined> {
    const job = await this.findByUUID(uuid);
    const params = job && (await this.#store.paramsOf(job.uuid));
    if (job === undefined || params === undefined) return undefined; // gone from history meanwhile
    return this.execute(job.methodName, params, job.key, job.description, { owner: job.owner });
  }

  /** Inside an inline job of this manager: that job; elsewhere `undefined` (1C: ПолучитьТекущее). */
  getCurrent(): BackgroundJob | undefined {
    const running = currentRunningJob();
    return running?.manager === this ? running.job : undefined;
  }

  /**
   * Shuts the manager down: schedules stop firing here and `execute` rejects with `WBJ_CLOSED` from now on; active jobs, queued ones included,
   * get `graceSeconds` (default 10) to finish; the rest are cancelled (in thread isolation, forced after
   * `cancelGraceMs`). Resolves when no job of this process is `Active` and no worker thread remains (but one
   * terminated while its handler is blocked in a native call, which ends when the call returns). On a Redis store
   * this process stops taking jobs from the queue; jobs still queued stay there for the other instances; it settles
   * with Redis out of reach too. Calling it again returns the same promise.
   */
  close(options: { graceSeconds?: number } = {}): Promise<void> {
    let grace: number;
    try {
      grace = closeGraceSeconds(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closing === undefined) this.#store.stopTaking?.();
    return (this.#closing ??= this.#scheduledJobs.close().then(() => this.#store.close(grace)));
  }

  #refuseIfClosed(methodName: unknown): void {
    if (this.#closing === undefined) return;
    throw new BackgroundJobsError(
      'WBJ_CLOSED',
      `execute(${describeValue(methodName)}) was called after close(): this manager accepts no new jobs`,
    );
  }
}

applyAliases(BackgroundJobsManager.prototype, ALIASES.manager);
