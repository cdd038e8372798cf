import { v4 as uuidV4, validate as isUuid } from 'uuid';
import { ALIASES, type AliasMembers, applyAliases, englishName } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import type { Settings } from '../config/options';
import type { ScheduledJobDeclaration } from '../config/scheduledJobsSection';
import { didYouMean } from '../didYouMean';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { compileTests } from '../jobs/jobFilter';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import type { LogError } from '../runners/JobExecutor';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import type { JobRequest } from '../stores/JobStore';
import { type RunLimits, storedSchedule } from '../schedules/scheduleRule';
import { scheduleText } from '../schedules/scheduleText';
import {
  BUILT_BY_SCHEDULED_JOBS,
  ScheduledJob,
  type ScheduledJobData,
  type ScheduledJobInit,
  type ScheduledJobOwner,
} from '../schedules/ScheduledJob';
import { createScheduleStore } from '../stores/createScheduleStore';
import type { Retry, ScheduleStore, StoredScheduledJob } from '../stores/ScheduleStore';

/** The scheduled-job fields a filter can match, each by equality (names case-insensitively). */
interface FilterFields {
  uuid: string;
  name: string;
  methodName: string;
  key: string;
  description: string;
  use: boolean;
  predefined: boolean;
  /** The declaration's name: a predefined job and those made from it by `create(metadataName)`. */
  metadata: string;
}

const FILTER_KEYS = [
  'uuid',
  'name',
  'methodName',
  'key',
  'description',
  'use',
  'predefined',
  'metadata',
] as const;
/** Filter keys compared whatever their case, as the names they hold resolve. */
const CASELESS_KEYS: readonly string[] = ['uuid', 'name', 'methodName', 'metadata'];

/** Filter of `scheduledJobs.get()`: every given field must match. Keys by English or 1C name (`{ Использование: true }`). */
export type ScheduledJobFilter = Partial<
  FilterFields & AliasMembers<FilterFields, Pick<typeof ALIASES.scheduledJob, keyof FilterFields>>
>;

/** @internal What the manager gives its scheduled jobs. */
export interface ScheduledJobsContext {
  readonly settings: Settings;
  readonly resolve: (methodName: string) => Promise<ResolvedHandler>;
  /** Copies a run's parameters as `execute` does, in the form the job store holds. */
  readonly copyParams: (params: readonly unknown[]) => unknown[];
  /** Starts a run as `execute` would, through the job store. */
  readonly start: (request: JobRequest) => Promise<BackgroundJob>;
  readonly findJob: (uuid: string) => Promise<BackgroundJob | undefined>;
  readonly logError: LogError;
  readonly warn: (line: string) => void;
}

/** How often the jobs declared in web.config are tried again while a Redis store is unreachable at start-up. */
const DECLARE_RETRY_MS = 1000;

/** @internal */
export const BUILT_BY_MANAGER_FOR_SCHEDULES: unique symbol = Symbol('web-background-jobs scheduled jobs');

/** The 1C names (`manager.РегламентныеЗадания.ПолучитьРегламентныеЗадания()`…). */
export interface ScheduledJobs extends AliasMembers<
  Pick<ScheduledJobs, keyof typeof ALIASES.scheduledJobs>,
  typeof ALIASES.scheduledJobs
> {}

/**
 * The scheduled jobs of a manager (1C: РегламентныеЗадания), `manager.scheduledJobs`: those declared in
 * web.config's `<scheduledJobs>` and those created here. Each run is an ordinary background job.
 */
export class ScheduledJobs {
  readonly #ready: Promise<void>;
  readonly #context: ScheduledJobsContext;
  readonly #store: ScheduleStore;
  readonly #owner: ScheduledJobOwner = {
    write: (job) => this.#write(job),
    delete: (job) => this.#delete(job),
    runNow: (job) => this.#runNow(job),
  };
  #closing: Promise<void> | undefined;
  /** The timers that cancel runs still active at their schedule's completion time (1C: ВремяЗавершения). */
  readonly #completions = new Set<NodeJS.Timeout>();

  /** @internal Made by the manager. */
  constructor(builtBy: typeof BUILT_BY_MANAGER_FOR_SCHEDULES, context: ScheduledJobsContext) {
    if (builtBy !== BUILT_BY_MANAGER_FOR_SCHEDULES) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        'Scheduled jobs are reached through manager.scheduledJobs, not made with new ScheduledJobs()',
      );
    }
    this.#context = context;
    const onTick = (uuid: string, due: Date, retry?: Retry): Promise<void> => this.#tick(uuid, due, retry);
    this.#store = createScheduleStore(context.settings, onTick);
    this.#ready = this.#declare();
    this.#ready.catch(() => {}); // logged in #declare; awaiting it is the application's choice
    Object.preventExtensions(this);
  }

  /**
   * Settles once the jobs declared in web.config have been checked against the handlers folder and their schedules
   * armed; rejects with `WBJ_CONFIG` naming the first whose method cannot run (that one is also logged).
   */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * A new scheduled job, not yet saved: set what else it needs, then `write()` it (1C: СоздатьРегламентноеЗадание).
   * Given the name of a job declared in web.config (1C passes the metadata object), a job that is not predefined
   * with everything of that declaration, named `<metadataName>/<uuid>`; given `{ name, methodName, schedule, … }`,
   * a job of no declaration.
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` or `WBJ_BAD_METHOD_NAME` naming the bad field, or the name of no
   *   declaration.
   */
  create(init: ScheduledJobInit | string): ScheduledJob {
    if (typeof init === 'string') return this.#createFrom(this.#declaration(init, 'create'));
    return checkArgument('scheduledJobs.create(init)', init, () => this.#create(init));
  }

  /**
   * The predefined scheduled job of the web.config declaration `metadataName` (1C: НайтиПредопределенное), once the
   * declared jobs are saved; `undefined` if it could not be (its method cannot run).
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for a name declared nowhere, or declared `predefined="false"`.
   */
  async findPredefined(metadataName: string): Promise<ScheduledJob | undefined> {
    const { data } = this.#declaration(metadataName, 'findPredefined');
    if (!data.predefined) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `findPredefined(${JSON.stringify(metadataName)}): the scheduled job is declared with predefined="false", so it has no predefined job; create one with create(${JSON.stringify(data.name)})`,
      );
    }
    await this.ready.catch(() => {}); // a declaration that failed is not saved: undefined, as 1C finds none
    return this.findByUUID(data.uuid);
  }

  /** The declaration named `metadataName` in web.config, whatever its case; 1C raises for a name it lacks. */
  #declaration(metadataName: unknown, caller: string): ScheduledJobDeclaration {
    const declared = this.#context.settings.scheduledJobs;
    const wanted = typeof metadataName === 'string' ? metadataName.toLowerCase() : undefined;
    const found = declared.find(({ data }) => data.name.toLowerCase() === wanted);
    if (found !== undefined) return found;
    const names = declared.map(({ data }) => data.name);
    const hint = typeof metadataName === 'string' ? didYouMean(metadataName, names) : '';
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `scheduledJobs.${caller}() takes the name of a scheduled job declared in web.config's <scheduledJobs>, got ${describeValue(metadataName)}${hint ? `; ${hint}` : ''} (declared: ${names.length === 0 ? 'none' : names.join(', ')})`,
    );
  }

  /** 1C: a job made from metadata is not predefined and is known by its UUID; everything else comes from it. */
  #createFrom({ data }: ScheduledJobDeclaration): ScheduledJob {
    const uuid = uuidV4();
    return this.scheduledJobFrom(
      { ...data, uuid, name: `${data.name}/${uuid}`, predefined: false, metadata: data.name },
      undefined,
      false,
    );
  }

  #create(init: ScheduledJobInit): ScheduledJob {
    if (typeof init !== 'object' || init === null || Array.isArray(init)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `scheduledJobs.create() takes the name of a scheduled job declared in web.config, or { name, methodName, schedule, key?, description?, params?, use?, userName?, restartCountOnFailure?, restartIntervalOnFailure? }, got ${describeValue(init)}`,
      );
    }
    const allowed = [
      'name',
      'methodName',
      'schedule',
      'key',
      'description',
      'params',
      'use',
      'userName',
      'restartCountOnFailure',
      'restartIntervalOnFailure',
    ];
    const unknown = Object.keys(init).find((field) => !allowed.includes(field));
    if (unknown !== undefined) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `scheduledJobs.create() got an unknown field ${JSON.stringify(unknown)}; expected ${allowed.join(', ')}`,
      );
    }
    const name = checkName(init.name);
    const job = this.scheduledJobFrom(
      {
        uuid: uuidV4(),
        name,
        methodName: '',
        key: '',
        description: '',
        params: [],
        use: true,
        // Checked by the constructor, which takes a schedule in any form it may be given.
        schedule: init.schedule as ScheduledJobData['schedule'],
        predefined: false,
        userName: '',
        restartCountOnFailure: 0,
        restartIntervalOnFailure: 0,
      },
      undefined,
      false,
    );
    // Through the setters, which check each field.
    job.methodName = init.methodName;
    if (init.key !== undefined) job.key = init.key;
    if (init.description !== undefined) job.description = init.description;
    if (init.params !== undefined) job.params = init.params;
    if (init.use !== undefined) job.use = init.use;
    if (init.userName !== undefined) job.userName = init.userName;
    if (init.restartCountOnFailure !== undefined) job.restartCountOnFailure = init.restartCountOnFailure;
    if (init.restartIntervalOnFailure !== undefined)
      job.restartIntervalOnFailure = init.restartIntervalOnFailure;
    return job;
  }

  /**
   * The scheduled jobs that match `filter`, by name; fresh copies read from the store (1C: ПолучитьРегламентныеЗадания).
   * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for an unknown filter key or a value of the wrong type.
   */
  async get(filter?: ScheduledJobFilter): Promise<ScheduledJob[]> {
    const matches = compileFilter(filter);
    this.#refuseIfClosed('get');
    const stored = (await this.#store.list()).filter(({ data }) => matches(data));
    return Promise.all(stored.map((each) => this.#read(each)));
  }

  /** The scheduled job with this name (case-insensitively), else `undefined`. */
  async findByName(name: string): Promise<ScheduledJob | undefined> {
    if (typeof name !== 'string') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `findByName expects a name string, got ${describeValue(name)}`,
      );
    }
    return (await this.get({ name }))[0];
  }

  /** The scheduled job with this UUID, else `undefined` (1C: НайтиПоУникальномуИдентификатору). */
  async findByUUID(uuid: string): Promise<ScheduledJob | undefined> {
    if (typeof uuid !== 'string' || !isUuid(uuid)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `findByUUID expects a UUID string, got ${describeValue(uuid)}`,
      );
    }
    this.#refuseIfClosed('findByUUID');
    const stored = await this.#store.get(uuid.toLowerCase());
    return stored && this.#read(stored);
  }

  /** @internal A copy of a scheduled job as stored, for the runs that name it. */
  scheduledJobFrom(data: ScheduledJobData, lastJob: BackgroundJob | undefined, written = true): ScheduledJob {
    return new ScheduledJob({ builtBy: BUILT_BY_SCHEDULED_JOBS, owner: this.#owner, data, written, lastJob });
  }

  /** @internal Stops every schedule of this process; runs already started go on. */
  close(): Promise<void> {
    return (this.#closing ??= this.ready
      .catch(() => {})
      .then(() => {
        for (const timer of this.#completions) clearTimeout(timer);
        this.#completions.clear();
        return this.#store.close();
      }));
  }

  async #read({ data, lastJobUuid }: StoredScheduledJob): Promise<ScheduledJob> {
    const lastJob = lastJobUuid === undefined ? undefined : await this.#context.findJob(lastJobUuid);
    return this.scheduledJobFrom(data, lastJob);
  }

  /**
   * Checks the declared jobs' methods against the handlers folder, then saves and arms the predefined ones; while a
   * Redis store is unreachable it retries, so a start before Redis loses no schedule.
   */
  async #declare(): Promise<void> {
    for (const { data, line } of this.#context.settings.scheduledJobs) {
      const where = `${this.#context.settings.configFile}, line ${line}`;
      const fail = (problem: string, error: unknown): BackgroundJobsError => {
        const failure = new BackgroundJobsError(
          'WBJ_CONFIG',
          `Scheduled job "${data.name}" ${problem}: ${(error as Error).message} (${where})`,
          { cause: error },
        );
        this.#context.logError(`[web-background-jobs] ${failure.message}`, error);
        return failure;
      };
      try {
        await this.#context.resolve(data.methodName);
      } catch (error) {
        throw fail(
          `has a method that cannot run, so it is not scheduled: method ${JSON.stringify(data.methodName)}`,
          error,
        );
      }
      if (!data.predefined) continue; // metadata only: its jobs are made by create(name)
      for (let waitLogged = false; ;) {
        try {
          // Checked when web.config was read.
          await this.#store.write(data, storedSchedule(data.schedule));
          break;
        } catch (error) {
          const unreachable = (error as { code?: unknown }).code === 'WBJ_STORE_UNAVAILABLE';
          if (unreachable && this.#closing !== undefined) {
            throw new BackgroundJobsError(
              'WBJ_CLOSED',
              `Scheduled job "${data.name}" was not scheduled: the manager closed while the Redis store was unreachable`,
            );
          }
          if (!unreachable) throw fail('could not be saved, so it is not scheduled', error);
          if (!waitLogged) {
            this.#context.warn(
              `[web-background-jobs] Scheduled job "${data.name}" is not scheduled yet: ${(error as Error).message}; retrying every ${DECLARE_RETRY_MS / 1000} s`,
            );
            waitLogged = true;
          }
          await new Promise((resolve) => setTimeout(resolve, DECLARE_RETRY_MS));
        }
      }
    }
  }

  async #write(job: ScheduledJob): Promise<void> {
    this.#refuseIfClosed('write');
    await this.#context.resolve(job.methodName);
    await this.#store.write(job.toJSON(), job.checkedSchedule);
  }

  async #delete(job: ScheduledJob): Promise<void> {
    this.#refuseIfClosed('delete');
    // A declared job would come back at the next start; one no longer declared (on Redis) may go.
    if (this.#context.settings.scheduledJobs.some(({ data }) => data.uuid === job.uuid)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `Scheduled job "${job.name}" is declared in web.config and cannot be deleted; remove it there, or set use to false and write()`,
      );
    }
    await this.#store.delete(job.uuid);
  }

  async #runNow(job: ScheduledJob): Promise<BackgroundJob> {
    this.#refuseIfClosed('runNow');
    const stored = await this.#store.get(job.uuid);
    if (stored === undefined) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `Scheduled job "${job.name}" is not saved (write() it first) or was deleted; runNow() runs what is saved`,
      );
    }
    const run = await this.#run(stored);
    job.recordRun(run);
    return run;
  }

  /**
   * A schedule fired, or a retry of a failed run is due: its run starts, or is skipped (and the skip logged) while
   * the previous one is active. A run that fails is retried as the job says.
   */
  async #tick(uuid: string, due: Date, retry?: Retry): Promise<void> {
    let name = uuid;
    try {
      if (this.#closing !== undefined) return;
      const stored = await this.#store.get(uuid);
      if (stored === undefined || !stored.data.use) return; // deleted or switched off elsewhere meanwhile
      // A run started since the failure (the schedule's next, or runNow) ends the series: it is the one that counts.
      if (retry !== undefined && stored.lastJobUuid !== retry.of) return;
      name = stored.data.name;
      // A retry keeps its own interval (ИнтервалПовтораПриАварийномЗавершении), not the schedule's pause.
      const onSchedule = retry === undefined ? due : undefined;
      this.#retryOnFailure(stored.data, await this.#run(stored, onSchedule), (retry?.attempt ?? 0) + 1);
    } catch (error) {
      const run = retry === undefined ? 'run' : `retry ${retry.attempt} of run ${retry.of}`;
      const why = `its ${run} due at ${due.toISOString()}: ${(error as Error).message}`;
      const code = (error as { code?: unknown }).code;
      if (code === 'WBJ_KEY_CONFLICT')
        this.#context.warn(`[web-background-jobs] Scheduled job "${name}" skipped ${why}`);
      else
        this.#context.logError(`[web-background-jobs] Scheduled job "${name}" could not start ${why}`, error);
    }
  }

  /**
   * 1C: a scheduled job does not start while its previous run is active, nor while its key is held; a run `due` on
   * its schedule also waits out the schedule's pause after the previous run (ПаузаПовтора).
   */
  async #run({ data, lastJobUuid }: StoredScheduledJob, due?: Date): Promise<BackgroundJob> {
    const handler = await this.#context.resolve(data.methodName);
    const previous = lastJobUuid === undefined ? undefined : await this.#context.findJob(lastJobUuid);
    if (previous?.state === BackgroundJobState.Active) {
      throw new BackgroundJobsError(
        'WBJ_KEY_CONFLICT',
        `the previous run ${previous.uuid} of scheduled job "${data.name}" is still active`,
      );
    }
    const limits = storedSchedule(data.schedule).limitsAt(due ?? new Date());
    if (due !== undefined && previous?.end !== undefined) refuseInPause(data.name, previous.end, due, limits);
    const scheduledJob = this.scheduledJobFrom(data, undefined);
    const run = await this.#context.start({
      methodName: data.methodName,
      handler,
      // Copied at the start, as execute does: each run gets parameters of its own, never the saved ones.
      params: this.#context.copyParams(data.params),
      key: data.key,
      description: data.description,
      timeoutSeconds: this.#context.settings.timeoutSeconds,
      scheduledJob,
    });
    scheduledJob.recordRun(run);
    if (limits.cancelAt !== undefined) this.#cancelAt(run, data, limits.cancelAt);
    // The run has started whatever happens here: a failure to note it is logged, not reported as the run's.
    await this.#store
      .recordRun(data.uuid, run.uuid)
      .catch((error: unknown) =>
        this.#context.logError(
          `[web-background-jobs] Scheduled job "${data.name}" started run ${run.uuid} but could not note it as its last run`,
          error,
        ),
      );
    return run;
  }

  /**
   * 1C: a scheduled job's run that ends in failure (not a cancel) is started again after
   * ИнтервалПовтораПриАварийномЗавершении seconds, up to КоличествоПовторовПриАварийномЗавершении times; each retry
   * is a run of its own, and one that succeeds ends the series. `attempt` is the number the next retry would have.
   */
  #retryOnFailure(data: ScheduledJobData, run: BackgroundJob, attempt: number): void {
    if (attempt > (data.restartCountOnFailure ?? 0)) return;
    void run.finished.then(async () => {
      if (run.state !== BackgroundJobState.Failed || this.#closing !== undefined) return;
      const due = new Date(Date.now() + (data.restartIntervalOnFailure ?? 0) * 1000);
      await this.#store
        .retry(data.uuid, { attempt, of: run.uuid }, due)
        .catch((error: unknown) =>
          this.#context.logError(
            `[web-background-jobs] Scheduled job "${data.name}" could not plan retry ${attempt} of its failed run ${run.uuid}`,
            error,
          ),
        );
    });
  }

  /**
   * 1C: ВремяЗавершения, ИнтервалЗавершения: a run still active at `at` is cancelled, and the cancel logged. The
   * timer is this instance's (the one that started the run, in memory or on Redis); close() clears it.
   */
  #cancelAt(run: BackgroundJob, { name, schedule }: ScheduledJobData, at: Date): void {
    const timer = setTimeout(
      () => {
        this.#completions.delete(timer);
        void (async () => {
          const current = await this.#context.findJob(run.uuid);
          if (current?.state !== BackgroundJobState.Active) return;
          this.#context.warn(
            `[web-background-jobs] Scheduled job "${name}": run ${run.uuid} was still active at its schedule's completion time ${at.toISOString()} (schedule: ${scheduleText(schedule, 'en')}), so it is cancelled`,
          );
          await current.cancel();
        })().catch((error: unknown) =>
          this.#context.logError(
            `[web-background-jobs] Scheduled job "${name}": run ${run.uuid} could not be cancelled at its completion time`,
            error,
          ),
        );
      },
      Math.max(at.getTime() - Date.now(), 0),
    ).unref();
    this.#completions.add(timer);
    // A run that ends first needs no timer: an hour-long interval on a run a minute leaves none behind.
    void run.finished.then(() => {
      clearTimeout(timer);
      this.#completions.delete(timer);
    });
  }

  #refuseIfClosed(caller: string): void {
    if (this.#closing === undefined) return;
    throw new BackgroundJobsError(
      'WBJ_CLOSED',
      `scheduledJobs ${caller}() was called after close(): this manager runs no more scheduled jobs`,
    );
  }
}

applyAliases(ScheduledJobs.prototype, ALIASES.scheduledJobs);
sealMembers(ScheduledJobs.prototype, 'the scheduled jobs (РегламентныеЗадания)');

/** 1C: ПаузаПовтора, the pause after a run ended before the schedule starts the next one; refused as a skip. */
function refuseInPause(name: string, ended: Date, due: Date, { pauseSeconds }: RunLimits): void {
  if (due.getTime() >= ended.getTime() + pauseSeconds * 1000) return;
  throw new BackgroundJobsError(
    'WBJ_KEY_CONFLICT',
    `the previous run of scheduled job "${name}" ended at ${ended.toISOString()}, less than its repeatPause of ${pauseSeconds} s before`,
  );
}

function checkName(name: unknown): string {
  if (typeof name === 'string' && name.trim() !== '' && name.length <= 200) return name;
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `A scheduled job's name must be a non-empty string of up to 200 characters, got ${describeValue(name)}`,
  );
}

function compileFilter(filter: unknown): (data: ScheduledJobData) => boolean {
  return compileTests(filter, 'scheduledJobs.get(filter) takes an object of scheduled-job fields', testFor);
}

function testFor(name: string, expected: unknown): (data: ScheduledJobData) => boolean {
  const field = englishName(ALIASES.scheduledJob, name);
  if (field === undefined || !(FILTER_KEYS as readonly string[]).includes(field)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Unknown scheduled-job filter key ${JSON.stringify(name)}; expected one of ${FILTER_KEYS.join(', ')} or their 1C names`,
    );
  }
  const kind = field === 'use' || field === 'predefined' ? 'boolean' : 'string';
  if (typeof expected !== kind) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Scheduled-job filter key ${JSON.stringify(name)} must be a ${kind}, got ${describeValue(expected)}`,
    );
  }
  const caseless = CASELESS_KEYS.includes(field);
  const wanted = caseless ? String(expected).toLowerCase() : expected;
  return (data) => {
    const value = data[field as keyof FilterFields];
    // A job of no declaration has no metadata: no name matches it.
    return value !== undefined && (caseless ? String(value).toLowerCase() : value) === wanted;
  };
}
