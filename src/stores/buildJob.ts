import { BackgroundJob, BUILT_BY_MANAGER } from '../jobs/BackgroundJob';
import type { JobInit } from '../jobs/jobInit';

/** What a store knows of a job when it builds its object: from an `execute` call, or from the job's record. */
export type JobFields = Pick<
  JobInit,
  'methodName' | 'key' | 'description' | 'scheduledJob' | 'ancestors' | 'owner'
>;

/** The hooks through which a job's object tells its store what happens to it. */
export type JobHooks = Pick<JobInit, 'onFinish' | 'onCancel' | 'onReport'>;

/**
 * A store's `BackgroundJob` for job `uuid`: the one way every store builds the objects it hands out and runs, with
 * the proof that the manager's side built it.
 */
export function buildJob(
  uuid: string,
  fields: JobFields,
  handlersPath: string,
  hooks: JobHooks,
): BackgroundJob {
  const { methodName, key, description, scheduledJob, ancestors, owner } = fields;
  return new BackgroundJob({
    builtBy: BUILT_BY_MANAGER,
    uuid,
    methodName,
    key,
    description,
    scheduledJob,
    ancestors,
    owner,
    handlersPath,
    onFinish: hooks.onFinish,
    onCancel: hooks.onCancel,
    onReport: hooks.onReport,
  });
}
