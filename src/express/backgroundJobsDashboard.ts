import { randomBytes } from 'node:crypto';
import type { Request, Router } from 'express';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { compileFilter } from '../jobs/jobFilter';
import { BackgroundJobsManager } from '../manager/BackgroundJobsManager';
import { notLocalReason } from './dashboard/access';
import { detailsOf, jobActions } from './dashboard/jobActions';
import { jobSummary } from './dashboard/jobJson';
import { chooseLanguage, LABELS } from './dashboard/labels';
import { dashboardPage } from './dashboard/page';
import { readListQuery, readMessagePage } from './dashboard/query';
import { answerError, forbidden, handle, sameSiteOnly } from './dashboard/respond';
import type { DashboardRoutes } from './dashboard/routes';
import { scheduledRoutes } from './dashboard/scheduledRoutes';
import { attachedManager } from './notAttached';
import { requiredExpress } from './expressModule';

/** Options of {@link backgroundJobsDashboard}. */
export interface BackgroundJobsDashboardOptions {
  /** The manager to show. Default: `req.backgroundJobs`, attached by `backgroundJobs()` mounted before. */
  manager?: BackgroundJobsManager;
  /**
   * Decides who may use the dashboard; required behind any proxy. Default: only requests from this machine, as
   * Hangfire's dashboard does: from a loopback address, with no proxy header, and with a Host of `localhost`,
   * `127.0.0.1` or `[::1]` (against DNS rebinding).
   */
  authorize?: (req: Request) => boolean | Promise<boolean>;
  /**
   * Removes the routes that change something (cancel, delete, run again; a scheduled job's use switch and run now)
   * and the buttons that call them. Default `false`.
   */
  readOnly?: boolean;
}

const OPTION_NAMES = ['manager', 'authorize', 'readOnly'];

/**
 * A jobs dashboard and its JSON API, as an Express router: `app.use('/jobs', backgroundJobsDashboard())`.
 * Serves `GET /` (the page), `GET /api/jobs`, `GET /api/jobs/:uuid`, `GET /api/scheduled-jobs`,
 * `GET /api/csrf-token` and, unless `readOnly`, the routes that change something, each with the `X-CSRF-Token`
 * header: `POST /api/jobs/:uuid/cancel`, `DELETE /api/jobs/:uuid`, `POST /api/jobs/:uuid/run-again`,
 * `POST /api/scheduled-jobs/:uuid/use` and `POST /api/scheduled-jobs/:uuid/run`.
 * @throws BackgroundJobsError `WBJ_CONFIG` for a bad option.
 */
export function backgroundJobsDashboard(options: BackgroundJobsDashboardOptions = {}): Router {
  // Read once, here: a Proxy or getters could answer differently (or throw) on every request.
  const {
    manager: given,
    authorize,
    readOnly = false,
  } = checkArgument(
    'backgroundJobsDashboard(options)',
    options,
    () => {
      checkOptions(options);
      return { ...options };
    },
    'WBJ_CONFIG',
  );
  const { Router: createRouter, json } = requiredExpress('backgroundJobsDashboard()');
  const router = createRouter();
  const csrfToken = randomBytes(32).toString('hex');
  const managerOf = (req: Request): BackgroundJobsManager => {
    const manager = given ?? attachedManager(req);
    if (manager === undefined) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        'The jobs dashboard found no manager: mount backgroundJobs() before it, or pass backgroundJobsDashboard({ manager })',
      );
    }
    return manager;
  };

  router.use(
    handle(async (req, res, next) => {
      res.set({
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
      });
      if (authorize) {
        if ((await authorize(req)) === true) return next();
        return forbidden(
          res,
          'The jobs dashboard refused this request: its authorize(req) option did not return true',
        );
      }
      const reason = notLocalReason(req);
      if (reason === undefined) return next();
      forbidden(
        res,
        `The jobs dashboard answers only requests from this machine, sent straight to a loopback name; this one was refused because ${reason}. Give backgroundJobsDashboard an authorize(req) option to let other hosts and clients in`,
      );
    }),
  );

  router.get(
    '/',
    handle(async (req, res) => {
      const nonce = randomBytes(16).toString('base64');
      const lang = chooseLanguage(req.query.lang, req.headers['accept-language']);
      res.set(
        'Content-Security-Policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      );
      res.type('html').send(
        dashboardPage({
          labels: LABELS[lang],
          lang,
          base: req.baseUrl,
          csrfToken,
          readOnly,
          // Polls at the manager's check interval, the seed's jobsCheckInterval (never faster than 5 per second).
          pollMs: Math.max(200, managerOf(req).settings.checkInterval),
          nonce,
        }),
      );
    }),
  );

  router.get(
    '/api/jobs',
    handle(async (req, res) => {
      const manager = managerOf(req);
      const { filter, offset, limit, text } = readListQuery(req.query);
      const matches = compileFilter(filter);
      // The header's counts are of every job; the list's of those that pass. Summaries only: a row shows no
      // params, result or messages, so none of them is read.
      const counts: Record<string, number> = Object.fromEntries(
        Object.values(BackgroundJobState).map((state) => [state, 0]),
      );
      const matching = await manager.getJobSummaries({}, (job) => {
        counts[job.state] = (counts[job.state] ?? 0) + 1;
        return (
          matches(job) &&
          (text === '' ||
            [job.methodName, job.key, job.description, job.uuid].some((field) =>
              field.toLowerCase().includes(text),
            ))
        );
      });
      const newestFirst = matching.reverse();
      res.json({
        total: newestFirst.length,
        offset,
        limit,
        counts,
        jobs: newestFirst.slice(offset, offset + limit).map(jobSummary),
      });
    }),
  );

  router.get(
    '/api/jobs/:uuid',
    handle(async (req, res) => {
      const manager = managerOf(req);
      res.json(await detailsOf(manager, req.params.uuid as string, readMessagePage(req.query)));
    }),
  );

  router.get('/api/csrf-token', (_req, res) => void res.json({ token: csrfToken }));

  const routes: DashboardRoutes = {
    managerOf,
    sameSite: sameSiteOnly(csrfToken),
    json: json({ limit: '1kb' }),
    readOnly,
  };
  if (!readOnly) jobActions(router, routes);
  scheduledRoutes(router, routes);
  router.use(answerError);
  return router;
}

function checkOptions(options: BackgroundJobsDashboardOptions): void {
  const fail = (message: string): never => {
    throw new BackgroundJobsError('WBJ_CONFIG', message);
  };
  if (typeof options !== 'object' || options === null)
    fail(`Dashboard options must be an object, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name))
      fail(`Unknown dashboard option ${JSON.stringify(name)}; expected one of ${OPTION_NAMES.join(', ')}`);
  }
  if (options.manager !== undefined && !(options.manager instanceof BackgroundJobsManager)) {
    fail(
      `The dashboard's manager option must be a BackgroundJobsManager, got ${describeValue(options.manager)}`,
    );
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    fail(
      `The dashboard's authorize option must be a function (req) => boolean, got ${describeValue(options.authorize)}`,
    );
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
    fail(`The dashboard's readOnly option must be true or false, got ${describeValue(options.readOnly)}`);
  }
}
