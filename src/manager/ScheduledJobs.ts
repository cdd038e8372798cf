import { v4 as uuidV4, validate as isUuid } from 'uuid';
import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import type { ScheduledJobDeclaration } from '../config/scheduledJobsSection';
import { didYouMean, typoHint } from '../didYouMean';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { BUILT_BY_SCHEDULED_JOBS, ScheduledJob, type ScheduledJobOwner } from '../schedules/ScheduledJob';
import { checkName, type ScheduledJobData, type ScheduledJobInit } from '../schedules/scheduledJobData';
import { compileScheduledJobFilter, type ScheduledJobFilter } from '../schedules/scheduledJobFilter';
import { createScheduleStore } from '../stores/createScheduleStore';
import type { ScheduleStore, StoredScheduledJob } from '../stores/ScheduleStore';
import { type Declarations, declareScheduledJobs } from './declareScheduledJobs';
import type { ScheduledJobsContext } from './scheduledJobsContext';
import { ScheduledRuns } from './ScheduledRuns';

/**
 * The public collection of scheduled jobs, `manager.scheduledJobs` (1C: РегламентныеЗадания): creating, finding,
 * saving and deleting them in the schedule store. Their start-up is declareScheduledJobs.ts, their runs
 * ScheduledRuns.ts.
 */

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
  readonly #declarations: Declarations;
  readonly #context: ScheduledJobsContext;
  readonly #store: ScheduleStore;
  readonly #runs: ScheduledRuns;
  readonly #owner: ScheduledJobOwner = {
    write: (job) => this.#write(job),
    delete: (job) => this.#delete(job),
    runNow: (job) => this.#runNow(job),
  };
  #closing: Promise<void> | undefined;

  /** @internal Made by the manager. */
  constructor(builtBy: typeof BUILT_BY_MANAGER_FOR_SCHEDULES, context: ScheduledJobsContext) {
    if (builtBy !== BUILT_BY_MANAGER_FOR_SCHEDULES) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        'Scheduled jobs are reached through manager.scheduledJobs, not made with new ScheduledJobs()',
      );
    }
    this.#context = context;
    const isClosing = (): boolean => this.#closing !== undefined;
    this.#store = createScheduleStore(context.settings, (uuid, due, retry) =>
      this.#runs.tick(uuid, due, retry),
    );
    this.#runs = new ScheduledRuns(
      context,
      this.#store,
      (data) => this.scheduledJobFrom(data, undefined),
      isClosing,
    );
    this.#declarations = declareScheduledJobs(context, this.#store, isClosing);
    Object.preventExtensions(this);
  }

  /**
   * Settles once the jobs declared in web.config have been checked against the handlers folder and their schedules
   * armed; rejects with `WBJ_CONFIG` naming the first whose method cannot run (that one is also logged). Reads need
   * not await it: `get`, `findByName`, `findByUUID` and `findPredefined` wait for the declared jobs themselves.
   */
  get ready(): Promise<void> {
    return this.#declarations.ready;
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
   * The predefined scheduled job of the web.config declaration `metadataName` (1C: НайтиПредопределенное);
   * `undefined` if it could not be saved (its method cannot run).
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
    return this.findByUUID(data.uuid); // a declaration that failed is not saved: undefined, as 1C finds none
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
        `scheduledJobs.create() got an unknown field ${JSON.stringify(unknown)}${typoHint(unknown, allowed)}; expected ${allowed.join(', ')}`,
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
    const matches = compileScheduledJobFilter(filter);
    const stored = (await this.#readDeclared('get', (store) => store.list())).filter(({ data }) =>
      matches(data),
    );
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
    const stored = await this.#readDeclared('findByUUID', (store) => store.get(uuid.toLowerCase()));
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
        this.#runs.close();
        return this.#store.close();
      }));
  }

  async #read({ data, lastJobUuid }: StoredScheduledJob): Promise<ScheduledJob> {
    const lastJob = lastJobUuid === undefined ? undefined : await this.#context.findJob(lastJobUuid);
    return this.scheduledJobFrom(data, lastJob);
  }

  async #write(job: ScheduledJob): Promise<void> {
    this.#refuseIfClosed('write');
    await this.#context.resolve(job.methodName);
    await this.#store.write(job.toJSON(), job.rule);
  }

  async #delete(job: ScheduledJob): Promise<void> {
    this.#refuseIfClosed('delete');
    // A declared job would come back at the next start; one no longer declared (on Redis) may go.
    if (this.#context.settings.scheduledJobs.some(({ data }) => data.uuid === job.uuid)) {
      throw new BackgroundJobsError(
        'WBJ_PREDEFINED',
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
        'WBJ_NOT_SAVED',
        `Scheduled job "${job.name}" is not saved (write() it first) or was deleted; runNow() runs what is saved`,
      );
    }
    const run = await this.#runs.runNow(stored);
    job.recordRun(run);
    return run;
  }

  /**
   * `read` of the store once it holds the declared jobs (or cannot: a declaration failed, or Redis is unreachable and
   * the read fails as any call does), so the first read after the manager is made finds them.
   */
  async #readDeclared<T>(caller: string, read: (store: ScheduleStore) => Promise<T>): Promise<T> {
    this.#refuseIfClosed(caller);
    await this.#declarations.readable;
    this.#refuseIfClosed(caller); // closed while waiting
    const answer = await read(this.#store);
    // Redis answered, yet the declared jobs may still wait for their next retry: saved now, they are read again.
    return (await this.#declarations.retryIfWaiting()) ? read(this.#store) : answer;
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
