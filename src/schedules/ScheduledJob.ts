import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import { BackgroundJobsError, checkArgument } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { parseMethodName } from '../jobs/methodName';
import type { ScheduleInput } from './checkSchedule';
import { withPrefix } from './fieldError';
import { boundSchedule, checkDate, type JobSchedule } from './JobSchedule';
import {
  checkJobSchedule,
  checkParams,
  checkString,
  checkUse,
  checkWholeNumber,
  MAX_RESTART_COUNT,
  MAX_RESTART_INTERVAL_SECONDS,
  type ScheduledJobData,
  storedJobSchedule,
} from './scheduledJobData';
import type { ScheduleRule } from './scheduleRule';

/** @internal What a scheduled job asks of the manager of scheduled jobs that made it. */
export interface ScheduledJobOwner {
  write(job: ScheduledJob): Promise<void>;
  delete(job: ScheduledJob): Promise<void>;
  runNow(job: ScheduledJob): Promise<BackgroundJob>;
}

/** @internal Proof that a scheduled job is made by `manager.scheduledJobs`. */
export const BUILT_BY_SCHEDULED_JOBS: unique symbol = Symbol('web-background-jobs scheduled job');

/** @internal */
export interface ScheduledJobParts {
  readonly builtBy: typeof BUILT_BY_SCHEDULED_JOBS;
  readonly owner: ScheduledJobOwner;
  readonly data: ScheduledJobData;
  /** Whether `data` is what the store holds (read from it, or just written). */
  readonly written: boolean;
  readonly lastJob?: BackgroundJob;
}

/** The 1C names of the scheduled job's members (`job.Использование = false`, `job.Записать()`…). */
export interface ScheduledJob extends AliasMembers<
  Pick<ScheduledJob, Exclude<keyof typeof ALIASES.scheduledJob, 'schedule'>>,
  typeof ALIASES.scheduledJob,
  | 'methodName'
  | 'key'
  | 'description'
  | 'params'
  | 'use'
  | 'userName'
  | 'restartCountOnFailure'
  | 'restartIntervalOnFailure'
> {
  // Read as a schedule object, assigned anything a schedule may be given as.
  get Расписание(): JobSchedule;
  set Расписание(value: ScheduleInput);
  get Schedule(): JobSchedule;
  set Schedule(value: ScheduleInput);
}

/**
 * A scheduled job (1C: РегламентноеЗадание): a method run in the background on a schedule, each run an ordinary
 * background job whose `scheduledJob` is this. Like a 1C object it is a copy: change its fields, then `write()`.
 */
export class ScheduledJob {
  readonly #uuid: string;
  readonly #name: string;
  readonly #predefined: boolean;
  readonly #metadata: string | undefined;
  #methodName: string;
  #key: string;
  #description: string;
  #params: readonly unknown[];
  #use: boolean;
  #userName: string;
  #restartCountOnFailure: number;
  #restartIntervalOnFailure: number;
  #schedule: ScheduleRule;
  /** The schedule as last written: what `nextRun` follows, whatever unsaved changes say. */
  #written: { use: boolean; schedule: ScheduleRule } | undefined;
  #lastJob: BackgroundJob | undefined;
  readonly #owner: ScheduledJobOwner;

  /** @internal Scheduled jobs are made by `manager.scheduledJobs.create()` and read by its `get()`. */
  constructor(parts: ScheduledJobParts) {
    if (parts?.builtBy !== BUILT_BY_SCHEDULED_JOBS) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        'Scheduled jobs are created by manager.scheduledJobs.create(), not with new ScheduledJob()',
      );
    }
    const { data } = parts;
    this.#uuid = data.uuid;
    this.#name = data.name;
    this.#predefined = data.predefined;
    this.#metadata = data.metadata;
    this.#owner = parts.owner;
    this.#methodName = data.methodName;
    this.#key = data.key;
    this.#description = data.description;
    this.#params = data.params;
    this.#use = data.use;
    // Absent from what a version before these fields stored.
    this.#userName = data.userName ?? '';
    this.#restartCountOnFailure = data.restartCountOnFailure ?? 0;
    this.#restartIntervalOnFailure = data.restartIntervalOnFailure ?? 0;
    // What a store holds was checked when it was written; a new job's schedule is checked here.
    this.#schedule = parts.written
      ? storedJobSchedule(data.schedule)
      : this.#field('schedule', data.schedule, () => checkJobSchedule(data.schedule));
    if (parts.written) this.#written = { use: this.#use, schedule: this.#schedule };
    this.#lastJob = parts.lastJob;
    // No own property may shadow a member the library reads (Object.defineProperty(job, 'use', …)).
    Object.preventExtensions(this);
  }

  /** 1C: УникальныйИдентификатор. */
  get uuid(): string {
    return this.#uuid;
  }

  /**
   * Unique, compared case-insensitively: a declared job's is its declaration's; one made by `create(metadataName)`
   * gets `<metadataName>/<uuid>`, as in 1C such a job has no name of its own, only its UUID.
   */
  get name(): string {
    return this.#name;
  }

  /** Declared in web.config's `<scheduledJobs>` (1C: Предопределенное); such a job cannot be deleted. */
  get predefined(): boolean {
    return this.#predefined;
  }

  /**
   * The name of the web.config declaration it was made from (1C: Метаданные): a predefined job's own name, or what
   * `create(metadataName)` was given; `undefined` for a job made with `create({ … })`.
   */
  get metadata(): string | undefined {
    return this.#metadata;
  }

  /** `Module.Method` each run executes (1C: ИмяМетода). */
  get methodName(): string {
    return this.#methodName;
  }

  set methodName(value: string) {
    parseMethodName(value);
    this.#methodName = value;
  }

  /** The key of every run (1C: Ключ). */
  get key(): string {
    return this.#key;
  }

  set key(value: string) {
    this.#key = this.#field('key', value, () => checkString(value, 'key'));
  }

  /** The description of every run (1C: Наименование). */
  get description(): string {
    return this.#description;
  }

  set description(value: string) {
    this.#description = this.#field('description', value, () => checkString(value, 'description'));
  }

  /** The parameters every run gets, a frozen copy (1C: Параметры). */
  get params(): readonly unknown[] {
    return this.#params;
  }

  set params(value: readonly unknown[]) {
    this.#params = this.#field('params', value, () => checkParams(value));
  }

  /** Whether the schedule runs (1C: Использование). */
  get use(): boolean {
    return this.#use;
  }

  set use(value: boolean) {
    this.#use = this.#field('use', value, () => checkUse(value));
  }

  /** The user its runs are started for, read by a run as `job.userName` (1C: ИмяПользователя); `''` for none. */
  get userName(): string {
    return this.#userName;
  }

  set userName(value: string) {
    this.#userName = this.#field('userName', value, () => checkString(value, 'userName'));
  }

  /**
   * How many times a run that failed is started again, each retry a run of its own
   * (1C: КоличествоПовторовПриАварийномЗавершении). 0 for none.
   */
  get restartCountOnFailure(): number {
    return this.#restartCountOnFailure;
  }

  set restartCountOnFailure(value: number) {
    this.#restartCountOnFailure = this.#field('restartCountOnFailure', value, () =>
      checkWholeNumber(value, 'restartCountOnFailure', MAX_RESTART_COUNT),
    );
  }

  /** Seconds from a failed run's end to its retry (1C: ИнтервалПовтораПриАварийномЗавершении). */
  get restartIntervalOnFailure(): number {
    return this.#restartIntervalOnFailure;
  }

  set restartIntervalOnFailure(value: number) {
    this.#restartIntervalOnFailure = this.#field('restartIntervalOnFailure', value, () =>
      checkWholeNumber(value, 'restartIntervalOnFailure', MAX_RESTART_INTERVAL_SECONDS),
    );
  }

  /**
   * When it runs (1C: Расписание), as a schedule object: assigning one of its fields changes this job's schedule,
   * checked as a whole (`job.schedule.daysRepeatPeriod = 1; await job.write()`). Its `toJSON()` is the plain data.
   */
  get schedule(): JobSchedule {
    return boundSchedule(this.#schedule.schedule, (next) => {
      this.schedule = next;
    });
  }

  /** Takes 1C-style fields by their 1C names too; reads back with the English ones. */
  set schedule(value: ScheduleInput) {
    this.#schedule = this.#field('schedule', value, () => checkJobSchedule(value));
  }

  /** The run started last when this copy was read (or by this copy's `runNow()`) (1C: ПоследнееЗадание). */
  get lastJob(): BackgroundJob | undefined {
    return this.#lastJob;
  }

  /** When the written schedule runs next; `undefined` while not in use, never written, or when it never runs again. */
  get nextRun(): Date | undefined {
    return this.#written?.use ? this.#written.schedule.nextRunAfter(new Date()) : undefined;
  }

  /**
   * The first run of this copy's schedule strictly after `after` (1C: Расписание.ТребуетсяВыполнение asks the
   * same question), whether or not it is in use.
   */
  nextRunAfter(after: Date): Date | undefined {
    checkDate('nextRunAfter(after)', 'after', after);
    return this.#schedule.nextRunAfter(after);
  }

  /**
   * Saves this copy (1C: Записать): a new job is created, an existing one replaced; the schedule runs from now on
   * if `use` is set, and stops if not. On a Redis store every instance follows it.
   * @throws BackgroundJobsError `WBJ_NAME_TAKEN` when another scheduled job has the name; the method's
   *   `WBJ_BAD_METHOD_NAME` or `WBJ_HANDLER_NOT_FOUND`; `WBJ_CLOSED` or `WBJ_STORE_UNAVAILABLE`.
   */
  async write(): Promise<void> {
    await this.#owner.write(this);
    this.#written = { use: this.#use, schedule: this.#schedule };
  }

  /**
   * Removes the scheduled job (1C: Удалить): it runs no more; runs already started go on.
   * @throws BackgroundJobsError `WBJ_PREDEFINED` for a job declared in this instance's web.config (set `use`
   *   false instead).
   */
  async delete(): Promise<void> {
    await this.#owner.delete(this);
    this.#written = undefined;
  }

  /**
   * Starts a run now, outside the schedule, with the written method, key and parameters.
   * @throws BackgroundJobsError `WBJ_NOT_SAVED` when it was never written or was deleted;
   *   `WBJ_PREVIOUS_RUN_ACTIVE` while its previous run is active; `WBJ_KEY_CONFLICT` while another job of its method
   *   holds its key; what `execute` throws otherwise.
   */
  async runNow(): Promise<BackgroundJob> {
    return this.#owner.runNow(this);
  }

  /** The scheduled job as plain data. */
  toJSON(): ScheduledJobData {
    return {
      uuid: this.#uuid,
      name: this.#name,
      methodName: this.#methodName,
      key: this.#key,
      description: this.#description,
      params: this.#params,
      use: this.#use,
      schedule: this.#schedule.schedule,
      predefined: this.#predefined,
      metadata: this.#metadata,
      userName: this.#userName,
      restartCountOnFailure: this.#restartCountOnFailure,
      restartIntervalOnFailure: this.#restartIntervalOnFailure,
    };
  }

  /** @internal The next-run rule of this copy's schedule. */
  get rule(): ScheduleRule {
    return this.#schedule;
  }

  /** @internal Notes the run this copy just started. */
  recordRun(job: BackgroundJob): void {
    this.#lastJob = job;
  }

  /** Checks a field's new `value` with `check`; what is wrong with it is reported with this job's name. */
  #field<T>(field: string, value: unknown, check: () => T): T {
    return checkArgument(`Scheduled job "${this.name}", ${field}`, value, () =>
      withPrefix(`Scheduled job "${this.name}": `, check),
    );
  }
}

applyAliases(ScheduledJob.prototype, ALIASES.scheduledJob);
sealMembers(ScheduledJob.prototype, 'a scheduled job (РегламентноеЗадание)');
