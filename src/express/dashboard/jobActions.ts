import type { Router } from 'express';
import type { BackgroundJobsManager } from '../../manager/BackgroundJobsManager';
import type { MessagePage } from '../../stores/JobStore';
import { type JobDetails, jobDetails, jobSummary } from './jobJson';
import { checkQuery, DEFAULT_MESSAGE_PAGE } from './query';
import { handle, notFound } from './respond';
import type { DashboardRoutes } from './routes';

/** The job's details with one page of its messages, read without the rest of them. */
export async function detailsOf(
  manager: BackgroundJobsManager,
  uuid: string,
  page: MessagePage,
): Promise<JobDetails> {
  const job = await manager.getJobDetails(uuid, page);
  if (job === undefined) throw notFound('background job', uuid);
  return jobDetails(job, page);
}

/**
 * The routes that change a job, behind the CSRF check: cancel (1C: Отменить), delete from history, and run again.
 * Not mounted when the dashboard is read-only.
 */
export function jobActions(router: Router, { managerOf, sameSite }: DashboardRoutes): void {
  router.post(
    '/api/jobs/:uuid/cancel',
    sameSite,
    handle(async (req, res) => {
      checkQuery(req.query, []);
      const manager = managerOf(req);
      const uuid = req.params.uuid as string;
      const job = await manager.findByUUID(uuid);
      if (job === undefined) throw notFound('background job', uuid);
      await job.cancel(); // 1C: Отменить; a finished job is left as it is; on Redis, settles once decided
      res.json(await detailsOf(manager, uuid, DEFAULT_MESSAGE_PAGE));
    }),
  );

  // A finished job only: an active one answers 409 WBJ_JOB_ACTIVE (its runner, and on Redis its record, hold it).
  router.delete(
    '/api/jobs/:uuid',
    sameSite,
    handle(async (req, res) => {
      checkQuery(req.query, []);
      const uuid = req.params.uuid as string;
      if (!(await managerOf(req).deleteFromHistory(uuid))) throw notFound('background job', uuid);
      res.status(204).end();
    }),
  );

  // The same method, params, key and description as a new job: the key rule applies (409 WBJ_KEY_CONFLICT).
  router.post(
    '/api/jobs/:uuid/run-again',
    sameSite,
    handle(async (req, res) => {
      checkQuery(req.query, []);
      const uuid = req.params.uuid as string;
      const job = await managerOf(req).runAgain(uuid);
      if (job === undefined) throw notFound('background job', uuid);
      // From the job itself, not read back: with a history of 0 a quick job may be gone already.
      res.status(201).location(`${req.baseUrl}/api/jobs/${job.uuid}`).json(jobSummary(job.toJSON()));
    }),
  );
}
