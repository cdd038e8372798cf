import { existsSync } from 'node:fs';
import { v4 as uuidV4, validate as isUuid } from 'uuid';
import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { loadSettings } from '../config/loadSettings';
import type { BackgroundJobsOptions, Logger, Settings } from '../config/options';
import { BackgroundJobsError, describeValue } from '../errors';
import { HandlerResolver, type ResolvedHandler } from '../loader/HandlerResolver';
import { createRunner } from '../runners/createRunner';
import type { JobRunner } from '../runners/JobRunner';
import { MemoryJobStore } from '../stores/MemoryJobStore';
import { BackgroundJob, BUILT_BY_MANAGER } from './BackgroundJob';
import { BackgroundJobState } from './BackgroundJobState';
import { ConcurrencyGate } from './ConcurrencyGate';
import { type ErrorInfo, errorInfoFrom } from './errorInfo';
import { type BackgroundJobFilter, compileFilter } from './jobFilter';
import { currentRunningJob } from './jobContext';
import { checkTimeout, waitForCompletion, waitForExecutionCompletion } from './waits';

/** Options of one `execute` call, beyond 1C's four arguments. */
export interface ExecuteOptions {
  /** Seconds this job may run before it fails with `WBJ_JOB_TIMEOUT`; 0 for no limit. Default `jobsTimeoutSeconds`. */
  timeoutSeconds?: number;
}

/** How long `close()` lets active jobs finish before it cancels them. */
const DEFAULT_CLOSE_GRACE_SECONDS = 10;

/** The 1C names of the manager's methods (`manager.Выполнить()`, `manager.Execute()`…). */
export interface BackgroundJobsManager extends AliasMembers<
  Pick<BackgroundJobsManager, keyof typeof ALIASES.manager>,
  typeof ALIASES.manager
> {}

/**
 * Starts, finds and awaits background jobs (1C: МенеджерФоновыхЗаданий). One per application; the
 * `backgroundJobs()` middleware creates it and hands it to every request as `req.backgroundJobs`.
 */
export class BackgroundJobsManager {
  /** The validated settings: web.config keys merged with the options (`settings.checkInterval`…). */
  readonly settings: Settings;
  readonly #logger: Logger;
  readonly #resolver: HandlerResolver;
  readonly #store: MemoryJobStore;
  readonly #runner: JobRunner;
  readonly #gate: ConcurrencyGate;
  #closing: Promise<void> | undefined;

  /**
   * Reads web.config and validates every setting now, so a bad configuration fails at start-up.
   * @throws BackgroundJobsError `WBJ_CONFIG`, naming the file, key, line and expected form.
   */
  constructor(options: BackgroundJobsOptions = {}) {
    // `?.`: a null options value must reach loadSettings' clear error, not fail here.
    this.#logger = (options as BackgroundJobsOptions | null)?.logger ?? console;
    this.settings = Object.freeze(loadSettings(options, (line) => this.#logger.warn(line)));
    this.#resolver = new HandlerResolver(this.settings.handlersPath);
    this.#store = new MemoryJobStore(this.settings.historySize);
    this.#runner = createRunner(this.settings, (line, error) => this.#logError(line, error));
    this.#gate = new ConcurrencyGate(this.settings.maxConcurrency);
    if (this.settings.enabled && !existsSync(this.settings.handlersPath)) {
      this.#logger.warn(
        `[web-background-jobs] The handlers folder ${this.settings.handlersPath} does not exist yet; execute() fails until it does.`,
      );
    }
  }

  /** Live worker threads of the pool: 0 inline and before the first job, then `maxThreads`. */
  get threadCount(): number {
    return this.#runner.threadCount;
  }

  /**
   * Starts `methodName` (`"Module.Method"`) in the background with copies of `params` (1C: Выполнить). Resolves
   * as soon as the job is registered, without waiting for it; over `maxConcurrency` it waits its turn, `Active`.
   * @param params - passed positionally; copied with structured clone, as 1C passes copies.
   * @param key - while an active job of the same method holds this key, another execute with it rejects.
   * @param options - `timeoutSeconds` overrides `jobsTimeoutSeconds` for this job (0: no limit).
   * @throws BackgroundJobsError `WBJ_BAD_METHOD_NAME`, `WBJ_HANDLER_NOT_FOUND`, `WBJ_HANDLER_AMBIGUOUS`,
   *   `WBJ_HANDLER_LOAD_FAILED`, `WBJ_PARAM_NOT_CLONEABLE`, `WBJ_KEY_CONFLICT`, `WBJ_BAD_ARGUMENT` or
   *   `WBJ_CLOSED`; nothing has run then.
   */
  async execute(
    methodName: string,
    params: readonly unknown[] = [],
    key = '',
    description = '',
    options: ExecuteOptions = {},
  ): Promise<BackgroundJob> {
    this.#refuseIfClosed(methodName);
    checkArguments(params, key, description);
    const timeoutSeconds = checkExecuteOptions(options) ?? this.settings.timeoutSeconds;
    const handler = await this.#resolver.resolve(methodName);
    this.#refuseIfClosed(methodName);
    const copies = cloneParams(params);
    const job = new BackgroundJob({
      builtBy: BUILT_BY_MANAGER,
      uuid: uuidV4(),
      methodName,
      key,
      description,
      onFinish: (finished) => this.#store.finished(finished),
    });
    // 1C: a key is unique among the active jobs of one method. Checked and taken synchronously after the last
    // await, so concurrent executes cannot both pass.
    const holder = this.#store.add(job, handler.identity);
    if (holder !== undefined) {
      throw new BackgroundJobsError(
        'WBJ_KEY_CONFLICT',
        `Background job ${holder.uuid} of method "${holder.methodName}" with key ${JSON.stringify(key)} is still active; wait for it or use another key`,
      );
    }
    this.#gate.admit((fromQueue) => this.#start(job, handler, copies, timeoutSeconds, fromQueue));
    return job;
  }

  /**
   * Waits until every listed job has finished (1C: ОжидатьЗавершения); all active jobs when `jobs` is omitted.
   * Rejects with `WBJ_JOBS_FAILED` if any failed (cancelled ones did not) and `WBJ_WAIT_TIMEOUT` if
   * `timeoutSeconds` pass first; the error's `jobs` lists them. Called from inside a job, it skips that job.
   */
  waitForCompletion(jobs?: readonly BackgroundJob[], timeoutSeconds?: number): Promise<void> {
    return waitForCompletion(jobs ?? this.#activeJobs(), timeoutSeconds, 'waitForCompletion');
  }

  /**
   * 1C 8.3 ОжидатьЗавершенияВыполнения: waits like {@link waitForCompletion} but never rejects for failures or
   * a timeout; resolves with the listed jobs that have finished by then.
   */
  waitForExecutionCompletion(
    jobs?: readonly BackgroundJob[],
    timeoutSeconds?: number,
  ): Promise<BackgroundJob[]> {
    return waitForExecutionCompletion(
      jobs ?? this.#activeJobs(),
      timeoutSeconds,
      'waitForExecutionCompletion',
    );
  }

  /**
   * Active jobs and finished ones still in history, in the order executed (1C: ПолучитьФоновыеЗадания).
   * @param filter - every given field must match; an unknown key is an error.
   */
  async getBackgroundJobs(filter?: BackgroundJobFilter): Promise<BackgroundJob[]> {
    return this.#store.list().filter(compileFilter(filter));
  }

  /**
   * The active or remembered job with this UUID, else `undefined` (1C: НайтиПоУникальномуИдентификатору).
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` when `uuid` is not a UUID.
   */
  async findByUUID(uuid: string): Promise<BackgroundJob | undefined> {
    if (typeof uuid !== 'string' || !isUuid(uuid)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `findByUUID expects a UUID string, got ${describeValue(uuid)}`,
      );
    }
    return this.#store.get(uuid.toLowerCase());
  }

  /** Inside an inline job of this manager: that job; elsewhere `undefined` (1C: ПолучитьТекущее). */
  getCurrent(): BackgroundJob | undefined {
    const running = currentRunningJob();
    return running?.manager === this ? running.job : undefined;
  }

  /**
   * Shuts the manager down: `execute` rejects with `WBJ_CLOSED` from now on; active jobs, queued ones included,
   * get `graceSeconds` (default 10) to finish; the rest are cancelled (in thread isolation, forced after
   * `cancelGraceMs`). Resolves when no job is `Active` and no worker thread remains. Calling it again returns
   * the same promise.
   */
  close(options: { graceSeconds?: number } = {}): Promise<void> {
    const grace = (options as { graceSeconds?: unknown } | null)?.graceSeconds ?? DEFAULT_CLOSE_GRACE_SECONDS;
    try {
      checkTimeout(grace, 'close({ graceSeconds })');
    } catch (error) {
      return Promise.reject(error);
    }
    return (this.#closing ??= this.#shutDown(grace as number));
  }

  async #shutDown(graceSeconds: number): Promise<void> {
    await waitForExecutionCompletion(this.#activeJobs(), graceSeconds, 'close');
    for (const job of this.#activeJobs()) job.cancel();
    await this.#runner.close();
  }

  #refuseIfClosed(methodName: unknown): void {
    if (this.#closing === undefined) return;
    throw new BackgroundJobsError(
      'WBJ_CLOSED',
      `execute(${describeValue(methodName)}) was called after close(): this manager accepts no new jobs`,
    );
  }

  /** Takes a concurrency slot for the job; returns false, freeing it, when the job was cancelled in the queue. */
  #start(
    job: BackgroundJob,
    handler: ResolvedHandler,
    params: unknown[],
    timeoutSeconds: number,
    fromQueue: boolean,
  ): boolean {
    if (job.state !== BackgroundJobState.Active) return false;
    job.markStarted();
    // From execute(), run on the next turn: execute() resolves first, and a synchronous handler cannot hold up
    // its caller. A job leaving the queue starts at once, in the slot the previous job just freed.
    if (fromQueue) void this.#run(job, handler, params, timeoutSeconds);
    else setImmediate(() => void this.#run(job, handler, params, timeoutSeconds));
    return true;
  }

  async #run(
    job: BackgroundJob,
    handler: ResolvedHandler,
    params: unknown[],
    timeoutSeconds: number,
  ): Promise<void> {
    if (job.state !== BackgroundJobState.Active) return this.#gate.release(); // cancelled before its turn came
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await this.#runner.run({
        job,
        handler,
        params,
        manager: this,
        // The limit covers the handler, not the queue nor a worker's start-up.
        onHandlerStart:
          timeoutSeconds > 0
            ? () => (timer = setTimeout(() => this.#timeOut(job, timeoutSeconds), timeoutSeconds * 1000))
            : undefined,
        onStrayRejection: (errorInfo, error) => this.#fail(job, errorInfo, error, true),
      });
      if (outcome.ok) job.complete(outcome.result);
      else this.#fail(job, outcome.errorInfo, outcome.error, false);
    } finally {
      clearTimeout(timer);
      this.#gate.release();
    }
  }

  #timeOut(job: BackgroundJob, timeoutSeconds: number): void {
    const reason = new BackgroundJobsError(
      'WBJ_JOB_TIMEOUT',
      `Background job ${job.uuid} (${job.methodName}) ran past its time limit of ${timeoutSeconds} s and was stopped`,
    );
    reason.stack = `${reason.name}: ${reason.message}`; // where the timer fired says nothing about the job
    const info = errorInfoFrom(reason, this.settings.handlersPath);
    job.expire(info, reason);
    if (job.errorInfo === info) this.#logError(`[web-background-jobs] ${reason.message}`, reason);
  }

  /** Fails the job and logs it; a rejection left behind by a job that already ended is logged, never lost. */
  #fail(job: BackgroundJob, info: ErrorInfo, error: unknown, unhandledRejection: boolean): void {
    const what = `[web-background-jobs] Background job ${job.uuid} (${job.methodName})`;
    const how = unhandledRejection ? ' with an unhandled rejection' : '';
    if (job.fail(info)) {
      this.#logError(`${what} failed${how}: ${info.description}`, error);
    } else if (unhandledRejection) {
      this.#logError(
        `${what} left an unhandled rejection after it ended as ${job.state}: ${info.description}`,
        error,
      );
    }
    // Otherwise the job was cancelled or timed out first: what its handler throws afterwards is ignored, as in 1C.
  }

  /** A logger that throws must not turn a job's failure into a crash of the process: console gets both. */
  #logError(line: string, error: unknown): void {
    try {
      this.#logger.error(line, error);
    } catch (loggerFailure) {
      console.error(line, error);
      console.error(
        '[web-background-jobs] The logger option threw while logging the line above:',
        loggerFailure,
      );
    }
  }

  #activeJobs(): BackgroundJob[] {
    return this.#store.list().filter((job) => job.state === BackgroundJobState.Active);
  }
}

applyAliases(BackgroundJobsManager.prototype, ALIASES.manager);

function checkArguments(params: unknown, key: unknown, description: unknown): void {
  if (!Array.isArray(params)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute(methodName, params) takes params as an array (passed positionally) or omitted, got ${describeValue(params)}`,
    );
  }
  if (typeof key !== 'string') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `The job key must be a string, got ${describeValue(key)}`,
    );
  }
  if (typeof description !== 'string') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `The job description must be a string, got ${describeValue(description)}`,
    );
  }
}

/** 1C passes copies of parameters; so do we, and name the first one that cannot be copied. */
function cloneParams(params: readonly unknown[]): unknown[] {
  return Array.from(params, (param, index) => {
    try {
      return structuredClone(param);
    } catch (error) {
      throw new BackgroundJobsError(
        'WBJ_PARAM_NOT_CLONEABLE',
        `Parameter ${index} (${describeValue(param)}) cannot be passed to a background job: ${String(
          (error as Error).message ?? error,
        )}. Pass plain data (numbers, strings, arrays, objects, Dates, Maps…)`,
        { cause: error },
      );
    }
  });
}

function checkExecuteOptions(options: unknown): number | undefined {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute's fifth argument takes options ({ timeoutSeconds }), got ${describeValue(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (name !== 'timeoutSeconds') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `Unknown execute option ${JSON.stringify(name)}; expected timeoutSeconds`,
      );
    }
  }
  const { timeoutSeconds } = options as ExecuteOptions;
  if (timeoutSeconds === undefined) return undefined;
  checkTimeout(timeoutSeconds, 'execute({ timeoutSeconds })');
  return timeoutSeconds;
}
