import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { BackgroundJobsError, type BackgroundJobsErrorCode, checkArgument, describeValue } from '../errors';
import { BackgroundJobsManager } from '../manager/BackgroundJobsManager';
import type { MessagePage } from '../stores/JobStore';
import { forgeryReason, notLocalReason } from './dashboard/access';
import { type JobDetails, jobDetails, jobSummary } from './dashboard/jobJson';
import { chooseLanguage, LABELS } from './dashboard/labels';
import { dashboardPage } from './dashboard/page';
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
  /** Removes the routes that change state (cancel) and the buttons that call them. Default `false`. */
  readOnly?: boolean;
}

const OPTION_NAMES = ['manager', 'authorize', 'readOnly'];
/** Query parameters of `GET /api/jobs` that become `getBackgroundJobs` filters. */
const FILTER_PARAMETERS = ['uuid', 'key', 'methodName', 'description', 'state'] as const;
const PAGE_PARAMETERS = ['offset', 'limit', 'q'];
const MAX_LIMIT = 500;
/** Query parameters of `GET /api/jobs/:uuid`: which of the job's messages it answers, counted from the newest. */
const MESSAGE_PARAMETERS = ['messagesOffset', 'messagesLimit'];
const MAX_MESSAGES_LIMIT = 1000;
const DEFAULT_MESSAGE_PAGE: MessagePage = { offset: 0, limit: 100 };
const STATUS: Partial<Record<BackgroundJobsErrorCode, number>> = {
  WBJ_BAD_ARGUMENT: 400,
  WBJ_FORBIDDEN: 403,
  WBJ_NOT_FOUND: 404,
  WBJ_STORE_UNAVAILABLE: 503,
};

/**
 * A jobs dashboard and its JSON API, as an Express router: `app.use('/jobs', backgroundJobsDashboard())`.
 * Serves `GET /` (the page), `GET /api/jobs`, `GET /api/jobs/:uuid`, `GET /api/csrf-token` and, unless
 * `readOnly`, `POST /api/jobs/:uuid/cancel` (with the `X-CSRF-Token` header).
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
  const { Router: createRouter } = requiredExpress('backgroundJobsDashboard()');
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
      // Summaries only: a list row shows no params, result or messages, so none of them is read.
      const matching = await manager.getJobSummaries(
        filter,
        (job) =>
          text === '' ||
          [job.methodName, job.key, job.description, job.uuid].some((field) =>
            field.toLowerCase().includes(text),
          ),
      );
      const newestFirst = matching.reverse();
      res.json({
        total: newestFirst.length,
        offset,
        limit,
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

  if (!readOnly) {
    router.post(
      '/api/jobs/:uuid/cancel',
      handle(async (req, res) => {
        const reason = forgeryReason(req, csrfToken);
        if (reason !== undefined) {
          return forbidden(
            res,
            `Refused as a possible cross-site request: ${reason}. Send the token of GET api/csrf-token in X-CSRF-Token`,
          );
        }
        const manager = managerOf(req);
        const uuid = req.params.uuid as string;
        const job = await manager.findByUUID(uuid);
        if (job === undefined) throw notFound(uuid);
        await job.cancel(); // 1C: Отменить; a finished job is left as it is; on Redis, settles once decided
        res.json(await detailsOf(manager, uuid, DEFAULT_MESSAGE_PAGE));
      }),
    );
  }

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof BackgroundJobsError) {
      return void res.status(STATUS[error.code] ?? 500).json({ code: error.code, error: error.message });
    }
    // Express refuses some requests itself (a path that is not valid percent-encoding): a client's error like
    // ours, so answered like ours, not with the application's HTML error page and its stack.
    if ((error as { status?: unknown } | null)?.status === 400) {
      const reason = String((error as { message?: unknown }).message);
      return void res
        .status(400)
        .json({ code: 'WBJ_BAD_ARGUMENT', error: `The request is malformed: ${reason}` });
    }
    next(error);
  });
  return router;
}

function forbidden(res: Response, message: string): void {
  res.status(403).json({ code: 'WBJ_FORBIDDEN', error: message });
}

/** Express 4 does not catch a rejected handler: pass the error on as Express 5 would. */
function handle(fn: (req: Request, res: Response, next: NextFunction) => Promise<void>): RequestHandler {
  return (req, res, next) => void fn(req, res, next).catch(next);
}

/** The job's details with one page of its messages, read without the rest of them. */
async function detailsOf(
  manager: BackgroundJobsManager,
  uuid: string,
  page: MessagePage,
): Promise<JobDetails> {
  const job = await manager.getJobDetails(uuid, page);
  if (job === undefined) throw notFound(uuid);
  return jobDetails(job, page);
}

function notFound(uuid: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_NOT_FOUND',
    `No background job ${uuid}: it never existed here, or it has left the history`,
  );
}

/** Refuses a query parameter that is not one of `names` (or `lang`), or that is given more than once. */
function checkQuery(query: Request['query'], names: readonly string[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!names.includes(name) && name !== 'lang') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `Unknown query parameter ${JSON.stringify(name)}; expected ${names.join(', ')}`,
      );
    }
    if (typeof value !== 'string') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `The query parameter ${JSON.stringify(name)} must be given once, as text; got ${describeValue(value)}`,
      );
    }
  }
}

function readMessagePage(query: Request['query']): MessagePage {
  checkQuery(query, MESSAGE_PARAMETERS);
  return {
    offset: count(
      query.messagesOffset,
      'messagesOffset',
      0,
      Number.MAX_SAFE_INTEGER,
      DEFAULT_MESSAGE_PAGE.offset,
    ),
    limit: count(query.messagesLimit, 'messagesLimit', 1, MAX_MESSAGES_LIMIT, DEFAULT_MESSAGE_PAGE.limit),
  };
}

function readListQuery(query: Request['query']) {
  checkQuery(query, [...FILTER_PARAMETERS, ...PAGE_PARAMETERS]);
  const filter: Record<string, string> = {};
  for (const name of FILTER_PARAMETERS) {
    if (query[name] !== undefined) filter[name] = query[name] as string;
  }
  return {
    filter,
    offset: count(query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
    limit: count(query.limit, 'limit', 1, MAX_LIMIT, 50),
    text: ((query.q as string | undefined) ?? '').trim().toLowerCase(),
  };
}

function count(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max) {
    return Number(value);
  }
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `The query parameter ${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
  );
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
