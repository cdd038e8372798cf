import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { sealMembers } from '../compat/sealMembers';
import { describeValue } from '../errors';
import type { BackgroundJob } from './BackgroundJob';
import type { BackgroundJobFilter } from './jobFilter';
import { runningJobOf } from './jobContext';

/**
 * What `execute` does when an active job of the same method holds the key: `'reject'` (1C: `WBJ_KEY_CONFLICT`),
 * `'join'` (resolve with that job) or `'replace'` (cancel it, then start the new job). Join and replace act only on
 * a job of the same owner; another owner's job is a conflict.
 */
export type KeyConflictAction = 'reject' | 'join' | 'replace';

/** What `execute` takes beyond the method, the parameters, the key and the description. */
export interface ExecuteOptions {
  /** Seconds this job may run before it fails with `WBJ_JOB_TIMEOUT`; 0 for no limit. Default `jobsTimeoutSeconds`. */
  timeoutSeconds?: number;
  /**
   * Who the job belongs to (a user's id): `job.owner`, a filter key, shown in the dashboard; 1 to 256 characters.
   * Default: the owner of the job calling execute from its handler (a child job belongs to its parent's user), else none.
   */
  owner?: string;
  /** When an active job of the same method and owner holds the key. @default 'reject' */
  onKeyConflict?: KeyConflictAction;
}

/**
 * What a job's own `ФоновыеЗадания` ask of the manager running the job: the manager itself inline, the
 * main thread's answers (as job views) in a worker thread. The manager implements it; the layers below the
 * manager (runners, stores) know the manager only through it.
 */
export interface JobsManager {
  execute(
    methodName: string,
    params?: readonly unknown[],
    key?: string,
    description?: string,
    options?: ExecuteOptions,
  ): Promise<BackgroundJob>;
  waitForCompletion(jobs?: readonly BackgroundJob[], timeoutSeconds?: number): Promise<void>;
  waitForExecutionCompletion(
    jobs?: readonly BackgroundJob[],
    timeoutSeconds?: number,
  ): Promise<BackgroundJob[]>;
  getBackgroundJobs(filter?: BackgroundJobFilter): Promise<BackgroundJob[]>;
  findByUUID(uuid: string): Promise<BackgroundJob | undefined>;
}

/**
 * The manager's members a job reaches through `ФоновыеЗадания`, under the manager's own 1C names: those of 1C's
 * ФоновыеЗадания (not the scheduled jobs, nor OneScript's extras).
 */
const { execute, waitForCompletion, waitForExecutionCompletion, getBackgroundJobs, findByUUID, getCurrent } =
  ALIASES.manager;
const OWN_ALIASES = {
  execute,
  waitForCompletion,
  waitForExecutionCompletion,
  getBackgroundJobs,
  findByUUID,
  getCurrent,
} as const;

/** The 1C names of `ФоновыеЗадания`'s members (`ФоновыеЗадания.Выполнить()`, `BackgroundJobs.Execute()`…). */
export interface OwnBackgroundJobs extends AliasMembers<
  Pick<OwnBackgroundJobs, keyof typeof OWN_ALIASES>,
  typeof OWN_ALIASES
> {}

/**
 * The manager as a running job sees it (1C: the global `ФоновыеЗадания` inside a background job): the manager
 * running the job, whichever it is, so a handler starts, finds and awaits jobs without being handed the manager.
 * In a worker thread the calls travel to the main thread, and jobs come back as views that their waits and
 * `cancel()` bring up to date. Jobs a job starts are its children: a wait without a list skips the job's
 * ancestors. Outside a job every member fails with `WBJ_NO_CURRENT_JOB`.
 */
export class OwnBackgroundJobs {
  /** Starts a job as `manager.execute` does (1C: ФоновыеЗадания.Выполнить). */
  async execute(
    methodName: string,
    params?: readonly unknown[],
    key?: string,
    description?: string,
    options?: ExecuteOptions,
  ): Promise<BackgroundJob> {
    const { jobs } = runningJobOf(`ФоновыеЗадания.execute(${describeValue(methodName)})`);
    return jobs.execute(methodName, params, key, description, options);
  }

  /**
   * Waits as `manager.waitForCompletion` does (1C: ОжидатьЗавершения); without a list, on the active jobs but
   * this job and the jobs it descends from.
   */
  async waitForCompletion(jobs?: readonly BackgroundJob[], timeoutSeconds?: number): Promise<void> {
    return runningJobOf('ФоновыеЗадания.waitForCompletion()').jobs.waitForCompletion(jobs, timeoutSeconds);
  }

  /** Waits as `manager.waitForExecutionCompletion` does (1C: ОжидатьЗавершенияВыполнения), never rejecting for a job. */
  async waitForExecutionCompletion(
    jobs?: readonly BackgroundJob[],
    timeoutSeconds?: number,
  ): Promise<BackgroundJob[]> {
    const running = runningJobOf('ФоновыеЗадания.waitForExecutionCompletion()');
    return running.jobs.waitForExecutionCompletion(jobs, timeoutSeconds);
  }

  /** The manager's jobs that pass `filter` (1C: ПолучитьФоновыеЗадания). */
  async getBackgroundJobs(filter?: BackgroundJobFilter): Promise<BackgroundJob[]> {
    return runningJobOf('ФоновыеЗадания.getBackgroundJobs()').jobs.getBackgroundJobs(filter);
  }

  /** The manager's job with this UUID, else `undefined` (1C: НайтиПоУникальномуИдентификатору). */
  async findByUUID(uuid: string): Promise<BackgroundJob | undefined> {
    return runningJobOf(`ФоновыеЗадания.findByUUID(${describeValue(uuid)})`).jobs.findByUUID(uuid);
  }

  /** The running job itself, as `currentJob()` gives it (1C: ПолучитьТекущее). */
  getCurrent(): BackgroundJob {
    return runningJobOf('ФоновыеЗадания.getCurrent()').job;
  }
}

applyAliases(OwnBackgroundJobs.prototype, OWN_ALIASES);
sealMembers(OwnBackgroundJobs.prototype, 'ФоновыеЗадания (the running job’s manager)');

/** The one `ФоновыеЗадания` object: it finds the running job at each call, so one object serves every job. */
export const backgroundJobsOfJob: OwnBackgroundJobs = Object.freeze(new OwnBackgroundJobs());
