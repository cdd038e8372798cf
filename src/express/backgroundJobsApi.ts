import path from 'node:path';
import type { Request, Router } from 'express';
import { BackgroundJobsError, BackgroundJobsKeyConflictError, checkArgument, describeValue } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import type { BackgroundJobsManager } from '../manager/BackgroundJobsManager';
import { MAX_OWNER_LENGTH } from '../manager/managerArguments';
import { answerError, ApiRefusal, notFound } from './api/apiAnswers';
import { type ApiSettings, type BackgroundJobsApiOptions, checkApiOptions } from './api/apiOptions';
import { Heartbeat, streamJob } from './api/jobStream';
import { readStartBody, type StartBody } from './api/startBody';
import { crossOriginReason } from './dashboard/access';
import { handle } from './dashboard/respond';
import { requiredExpress } from './expressModule';
import { attachedManager } from './notAttached';

export type { BackgroundJobsApiOptions, OwnerId } from './api/apiOptions';

/** The longest `?wait` of `GET /:uuid`, in seconds: under the usual 60 s proxy read timeout. */
const MAX_WAIT_SECONDS = 30;
/** The value of the header every POST must carry: a header another site cannot send without a CORS preflight. */
const REQUESTED_WITH = 'web-background-jobs';
/** The browser client (`web-background-jobs/client`), built beside this file's folder. */
const CLIENT_FILE = path.join(__dirname, '..', 'client', 'index.js');

/**
 * The jobs API for a browser, as an Express router: `app.use('/api/jobs', backgroundJobsApi({ methods, owner }))`.
 * `POST /` starts a job of a listed method, `GET /:uuid[?wait=s]` reads it, `GET /:uuid/events` streams its changes
 * (Server-Sent Events), `POST /:uuid/cancel` cancels it, `GET /client.js` serves the browser client. A user reaches
 * only the jobs started for them; every POST is checked against cross-site forgery.
 * @throws BackgroundJobsError `WBJ_CONFIG` for a bad or missing option, or when express is not installed.
 */
export function backgroundJobsApi(options: BackgroundJobsApiOptions): Router {
  // Read once, here: a Proxy or getters could answer differently (or throw) on every request.
  const settings = checkArgument(
    'backgroundJobsApi(options)',
    options,
    () => checkApiOptions(options),
    'WBJ_CONFIG',
  );
  const express = requiredExpress('backgroundJobsApi()');
  const router = express.Router();
  // Not strict: a body of JSON that is not an object (null, 1) is valid JSON, refused by readStartBody naming it.
  const parseJson = express.json({ limit: settings.bodyLimit, type: () => true, strict: false });
  const heartbeat = new Heartbeat(settings.heartbeatSeconds * 1000);
  const api = new JobsApi(settings);

  router.get('/client.js', (_req, res, next) => {
    res.sendFile(
      CLIENT_FILE,
      { headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' } },
      (error) => error && next(error),
    );
  });

  router.post(
    '/',
    handle(async (req, res) => {
      refuseForgery(req);
      checkQuery(req.query, []);
      const owner = await api.ownerOf(req);
      if (!req.is('application/json')) {
        throw new ApiRefusal(
          'WBJ_UNSUPPORTED_MEDIA_TYPE',
          `The body must be JSON, sent with Content-Type: application/json; got ${describeValue(req.headers['content-type'] ?? 'none')}`,
        );
      }
      await new Promise<void>((resolve, reject) =>
        parseJson(req, res, (error?: unknown) => (error ? reject(parseRefusal(error)) : resolve())),
      );
      const body = readStartBody(req.body);
      if (!(await api.allows(body.method, req))) {
        throw new ApiRefusal(
          'WBJ_FORBIDDEN',
          `The method ${JSON.stringify(body.method)} may not be started from here: it is not among the methods of backgroundJobsApi`,
        );
      }
      const job = await api.start(req, owner, body);
      res.status(202).location(`${req.baseUrl}/${job.uuid}`).json(job);
    }),
  );

  router.get(
    '/:uuid',
    handle(async (req, res) => {
      const job = await api.visibleJob(req, ['wait']);
      const wait = readWait(req.query.wait);
      res.json(wait === undefined ? job : await job.waitForExecutionCompletion(wait));
    }),
  );

  router.get(
    '/:uuid/events',
    handle(async (req, res) => {
      const job = await api.visibleJob(req, ['lastEventId']);
      streamJob(req, res, job, readLastEventId(req), heartbeat);
    }),
  );

  router.post(
    '/:uuid/cancel',
    handle(async (req, res) => {
      refuseForgery(req);
      const job = await api.visibleJob(req, []);
      await job.cancel(); // 1C: Отменить; a finished job is left as it is; on Redis, settles once decided
      res.status(202).json(job);
    }),
  );

  router.use(answerError);
  return router;
}

/** What the routes ask of the options and the manager. */
class JobsApi {
  readonly #settings: ApiSettings;

  constructor(settings: ApiSettings) {
    this.#settings = settings;
  }

  /** The manager: the one given, else the one the middleware attached to the request. */
  manager(req: Request): BackgroundJobsManager {
    const manager = this.#settings.manager ?? attachedManager(req);
    if (manager !== undefined) return manager;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      'The jobs API found no manager: mount backgroundJobs() before it, or pass backgroundJobsApi({ manager })',
    );
  }

  /** The request's user; `undefined` for a router made with `owner: false`. */
  async ownerOf(req: Request): Promise<string | undefined> {
    const { owner } = this.#settings;
    if (owner === false) return undefined;
    const given = await owner(req);
    if (given === undefined || given === null || given === '') {
      throw new ApiRefusal(
        'WBJ_UNAUTHENTICATED',
        'Sign in first: the jobs API found no user for this request',
      );
    }
    // A numeric user id (req.user.id of most ORMs) is the same user as its decimal string.
    const id = typeof given === 'number' && Number.isFinite(given) ? String(given) : given;
    if (typeof id !== 'string' || id.length > MAX_OWNER_LENGTH) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        `backgroundJobsApi's owner(req) must return the user's id as a string of at most ${MAX_OWNER_LENGTH} characters or a finite number, or undefined when none; got ${describeValue(given)}`,
      );
    }
    return id;
  }

  async allows(methodName: string, req: Request): Promise<boolean> {
    const { methods } = this.#settings;
    return typeof methods === 'function'
      ? (await methods(methodName, req)) === true
      : methods.includes(methodName);
  }

  /** The job of `:uuid` when the request's user owns it; another user's is not found, as if it did not exist. */
  async visibleJob(req: Request, queryNames: readonly string[]): Promise<BackgroundJob> {
    checkQuery(req.query, queryNames);
    const owner = await this.ownerOf(req);
    const uuid = req.params.uuid as string;
    const job = await this.manager(req)
      .findByUUID(uuid)
      .catch((error: unknown) => {
        // Not a UUID: no job has it.
        if ((error as BackgroundJobsError).code === 'WBJ_BAD_ARGUMENT') return undefined;
        throw error;
      });
    if (job === undefined || job.owner !== owner) throw notFound(uuid);
    return job;
  }

  /** Starts the job for `owner`; a key held by the owner's own job names it, another user's does not. */
  async start(req: Request, owner: string | undefined, body: StartBody): Promise<BackgroundJob> {
    const { method, params, key, description, onKeyConflict } = body;
    const manager = this.manager(req);
    try {
      return await manager.execute(method, params, key, description, { owner, onKeyConflict });
    } catch (error) {
      if (!(error instanceof BackgroundJobsKeyConflictError)) throw this.#unknownMethod(method, error);
      const { holderUuid } = error;
      const holder = await manager.findByUUID(holderUuid);
      if (holder !== undefined && holder.owner === owner)
        throw new ApiRefusal('WBJ_KEY_CONFLICT', error.message, holderUuid);
      throw new ApiRefusal(
        'WBJ_KEY_CONFLICT',
        `Задание с таким значением ключа уже выполняется: an active job of method ${JSON.stringify(method)} holds the key ${JSON.stringify(key)}; wait for it or use another key`,
      );
    }
  }

  /**
   * A name the methods function let through that names no handler: the browser chose it, so it is the request's
   * error (400), not the application's. With a list, the application named the method: its error goes on as it is.
   */
  #unknownMethod(method: string, error: unknown): unknown {
    const { code, message } = error as Partial<BackgroundJobsError>;
    if (typeof this.#settings.methods !== 'function') return error;
    if (code !== 'WBJ_BAD_METHOD_NAME' && code !== 'WBJ_HANDLER_NOT_FOUND') return error;
    return new ApiRefusal(
      'WBJ_BAD_ARGUMENT',
      `The body's method ${JSON.stringify(method)} names no handler: ${message}`,
    );
  }
}

/** A POST another site could have sent: without the API's header, or from a page of another origin. */
function refuseForgery(req: Request): void {
  const reason =
    crossOriginReason(req) ??
    (req.headers['x-requested-with'] === REQUESTED_WITH
      ? undefined
      : `the X-Requested-With header is missing or is not ${JSON.stringify(REQUESTED_WITH)}`);
  if (reason !== undefined) {
    throw new ApiRefusal(
      'WBJ_FORBIDDEN',
      `Refused as a possible cross-site request: ${reason}. Send X-Requested-With: ${REQUESTED_WITH} from a page of this site`,
    );
  }
}

/** express.json()'s refusals, as the API's. */
function parseRefusal(error: unknown): unknown {
  const { type, message } = error as { type?: unknown; message?: unknown };
  if (type === 'entity.too.large') {
    const { limit } = error as { limit?: number };
    return new ApiRefusal(
      'WBJ_BODY_TOO_LARGE',
      `The body is larger than this API takes: at most ${limit} bytes`,
    );
  }
  if (type === 'entity.parse.failed')
    return new ApiRefusal('WBJ_BAD_ARGUMENT', `The body is not valid JSON: ${String(message)}`);
  if (type === 'charset.unsupported' || type === 'encoding.unsupported')
    return new ApiRefusal('WBJ_UNSUPPORTED_MEDIA_TYPE', `The body cannot be read: ${String(message)}`);
  return error;
}

/** Refuses a query parameter other than `names`, or one given more than once. */
function checkQuery(query: Request['query'], names: readonly string[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!names.includes(name)) {
      const expected = names.length === 0 ? 'none' : names.join(', ');
      throw new ApiRefusal(
        'WBJ_BAD_ARGUMENT',
        `Unknown query parameter ${JSON.stringify(name)}; expected ${expected}`,
      );
    }
    if (typeof value !== 'string') {
      throw new ApiRefusal(
        'WBJ_BAD_ARGUMENT',
        `The query parameter ${JSON.stringify(name)} must be given once, as text; got ${describeValue(value)}`,
      );
    }
  }
}

/** `?wait=<seconds>`: up to 30, fractions allowed. */
function readWait(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seconds = typeof value === 'string' && /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (seconds <= MAX_WAIT_SECONDS) return seconds;
  throw new ApiRefusal(
    'WBJ_BAD_ARGUMENT',
    `The query parameter wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, got ${describeValue(value)}`,
  );
}

/** Where a stream starts among the job's messages: the `Last-Event-ID` header of a reconnect, else `?lastEventId`. */
function readLastEventId(req: Request): number {
  const header = req.headers['last-event-id'];
  const [name, value] =
    header === undefined ? ['lastEventId', req.query.lastEventId] : ['Last-Event-ID', header];
  if (value === undefined || value === '') return 0;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  throw new ApiRefusal(
    'WBJ_BAD_ARGUMENT',
    `${name} must be the number of the job's messages already received (a whole number from 0), got ${describeValue(value)}`,
  );
}
