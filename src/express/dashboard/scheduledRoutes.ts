import type { Request, Router } from 'express';
import { BackgroundJobsError, describeValue } from '../../errors';
import type { BackgroundJobsManager } from '../../manager/BackgroundJobsManager';
import type { ScheduledJob } from '../../schedules/ScheduledJob';
import { jobSummary } from './jobJson';
import { chooseLanguage, type Language } from './labels';
import { checkQuery } from './query';
import { handle, notFound } from './respond';
import type { DashboardRoutes } from './routes';

/** A scheduled job as the dashboard's Scheduled jobs tab shows it. */
export interface ScheduledJobRow {
  uuid: string;
  name: string;
  methodName: string;
  key: string;
  description: string;
  use: boolean;
  predefined: boolean;
  /** The schedule in words, in the page's language (1C: `Строка(Расписание)`). */
  schedule: string;
  /** When it runs next; `null` while not in use, or when its schedule runs no more. */
  nextRun: string | null;
  /** Its last run while that job is still in history. */
  lastRun: { uuid: string; state: string; begin: string | null; end: string | null } | null;
}

function scheduledJobRow(job: ScheduledJob, language: Language): ScheduledJobRow {
  const last = job.lastJob;
  return {
    uuid: job.uuid,
    name: job.name,
    methodName: job.methodName,
    key: job.key,
    description: job.description,
    use: job.use,
    predefined: job.predefined,
    schedule: job.schedule.toString(language),
    nextRun: job.nextRun?.toISOString() ?? null,
    lastRun: last
      ? {
          uuid: last.uuid,
          state: last.state,
          begin: last.begin?.toISOString() ?? null,
          end: last.end?.toISOString() ?? null,
        }
      : null,
  };
}

const languageOf = (req: Request): Language => chooseLanguage(req.query.lang, req.headers['accept-language']);

async function scheduledJob(manager: BackgroundJobsManager, uuid: string): Promise<ScheduledJob> {
  const job = await manager.scheduledJobs.findByUUID(uuid);
  if (job === undefined) throw notFound('scheduled job', uuid);
  return job;
}

/** `{ use: true | false }`, nothing else: what `POST …/use` takes. */
function readUse(body: unknown): boolean {
  const given = body as Record<string, unknown> | null;
  const fields = typeof given === 'object' && given !== null && !Array.isArray(given) ? given : undefined;
  const unknown = fields && Object.keys(fields).find((name) => name !== 'use');
  if (fields === undefined || unknown !== undefined || typeof fields.use !== 'boolean') {
    const what =
      fields === undefined
        ? describeValue(body)
        : unknown !== undefined
          ? `an unknown field ${JSON.stringify(unknown)}`
          : `use ${describeValue(fields.use)}`;
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `The body must be the JSON object { "use": true } or { "use": false } (Content-Type: application/json); got ${what}`,
    );
  }
  return fields.use;
}

/**
 * The Scheduled jobs tab's API (1C: РегламентныеЗадания): the list, and unless read-only, switching `use` and
 * running one now, behind the CSRF check.
 */
export function scheduledRoutes(
  router: Router,
  { managerOf, sameSite, readOnly, json }: DashboardRoutes,
): void {
  router.get(
    '/api/scheduled-jobs',
    handle(async (req, res) => {
      checkQuery(req.query, []);
      const language = languageOf(req);
      const jobs = await managerOf(req).scheduledJobs.get();
      res.json({ scheduledJobs: jobs.map((job) => scheduledJobRow(job, language)) });
    }),
  );
  if (readOnly) return;

  // 1C: Использование, written at once, as an administrator's switch in the list of scheduled jobs is.
  router.post(
    '/api/scheduled-jobs/:uuid/use',
    sameSite,
    json,
    handle(async (req, res) => {
      checkQuery(req.query, []);
      const use = readUse(req.body);
      const job = await scheduledJob(managerOf(req), req.params.uuid as string);
      job.use = use;
      await job.write();
      res.json(scheduledJobRow(job, languageOf(req)));
    }),
  );

  // 1C: what the administrator's "Выполнить сейчас" does; the previous run's rule and the key rule apply (409).
  router.post(
    '/api/scheduled-jobs/:uuid/run',
    sameSite,
    handle(async (req, res) => {
      checkQuery(req.query, []);
      const run = await (await scheduledJob(managerOf(req), req.params.uuid as string)).runNow();
      res.status(201).location(`${req.baseUrl}/api/jobs/${run.uuid}`).json(jobSummary(run.toJSON()));
    }),
  );
}
