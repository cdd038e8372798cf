import { existsSync } from 'node:fs';
import { v4 as uuidV4, validate as isUuid } from 'uuid';
import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { loadSettings } from '../config/loadSettings';
import type { BackgroundJobsOptions, Logger, Settings } from '../config/options';
import { BackgroundJobsError, describeValue } from '../errors';
import { HandlerResolver, type ResolvedHandler } from '../loader/HandlerResolver';
import { inlineRunner } from '../runners/inlineRunner';
import type { JobRunner } from '../runners/JobRunner';
import { MemoryJobStore } from '../stores/MemoryJobStore';
import { BackgroundJob, BUILT_BY_MANAGER } from './BackgroundJob';
import { BackgroundJobState } from './BackgroundJobState';
import { errorInfoFrom } from './errorInfo';
import { type BackgroundJobFilter, compileFilter } from './jobFilter';
import { currentRunningJob, type RunningJob } from './jobContext';
import { waitForCompletion, waitForExecutionCompletion } from './waits';

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
  readonly #runner: JobRunner = inlineRunner;

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
    if (this.settings.enabled && !existsSync(this.settings.handlersPath)) {
      this.#logger.warn(
        `[web-background-jobs] The handlers folder ${this.settings.handlersPath} does not exist yet; execute() fails until it does.`,
      );
    }
  }

  /**
   * Starts `methodName` (`"Module.Method"`) in the background with copies of `params` (1C: Выполнить). Resolves
   * as soon as the job is registered, without waiting for it.
   * @param params - passed positionally; copied with structured clone, as 1C passes copies.
   * @param key - while an active job of the same method holds this key, another execute with it rejects.
   * @throws BackgroundJobsError `WBJ_BAD_METHOD_NAME`, `WBJ_HANDLER_NOT_FOUND`, `WBJ_HANDLER_AMBIGUOUS`,
   *   `WBJ_HANDLER_LOAD_FAILED`, `WBJ_PARAM_NOT_CLONEABLE`, `WBJ_KEY_CONFLICT` or `WBJ_BAD_ARGUMENT`;
   *   nothing has run then.
   */
  async execute(
    methodName: string,
    params: readonly unknown[] = [],
    key = '',
    description = '',
  ): Promise<BackgroundJob> {
    checkArguments(params, key, description);
    const handler = await this.#resolver.resolve(methodName);
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
    job.markStarted();
    // Start on the next turn: execute() resolves first, and a synchronous handler cannot hold up its caller.
    setImmediate(() => void this.#run(job, handler, copies));
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

  /** Inside a job of this manager: that job; elsewhere `undefined` (1C: ПолучитьТекущее). */
  getCurrent(): BackgroundJob | undefined {
    const running = currentRunningJob();
    return running?.manager === this ? running.job : undefined;
  }

  async #run(job: BackgroundJob, handler: ResolvedHandler, params: unknown[]): Promise<void> {
    if (job.state !== BackgroundJobState.Active) return; // cancelled before it started
    const running: RunningJob = {
      job,
      manager: this,
      failFromOutside: (reason) => this.#fail(job, reason, true),
    };
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await this.#runner.run(running, handler, params) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // Node reports a rejection the handler left unhandled once the microtask queue drains: wait that turn so
    // it fails this job instead of arriving after the job was marked Completed.
    await new Promise(setImmediate);
    if (outcome.ok) job.complete(outcome.value);
    else this.#fail(job, outcome.error, false);
  }

  /** Fails the job and logs it; a rejection left behind by a job that already ended is logged, never lost. */
  #fail(job: BackgroundJob, error: unknown, unhandledRejection: boolean): void {
    const info = errorInfoFrom(error, this.settings.handlersPath);
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
    // Otherwise the job was cancelled first: what its handler throws afterwards is ignored, as in 1C.
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
