// The options of backgroundJobsApi(), checked once when the router is made: a mistake there is the application's,
// told at start-up with WBJ_CONFIG, not found by the first user.
import type { Request } from 'express';
import { BackgroundJobsError, describeValue } from '../../errors';
import { BackgroundJobsManager } from '../../manager/BackgroundJobsManager';

/** What `owner(req)` returns: the user's id (at most 256 characters), or none. */
export type OwnerId = string | number | undefined | null;

/** Options of `backgroundJobsApi()`. */
export interface BackgroundJobsApiOptions {
  /**
   * The methods a browser may start: `Module.Method` names, or a function that decides for each request. Anything
   * else is refused with 403. Required: the list is never inferred from the handlers folder.
   */
  methods: readonly string[] | ((methodName: string, req: Request) => boolean | Promise<boolean>);
  /**
   * The user a request is made for (e.g. `(req) => req.user?.id`): jobs started through the router carry it as
   * `job.owner` (a number as its decimal string), and another user's job answers 404 on every route. A request it
   * names no user for (`undefined`, `null` or `''`) is refused with 401. Required; write `false` for a router without
   * users, whose jobs everyone may see.
   */
  owner: ((req: Request) => OwnerId | Promise<OwnerId>) | false;
  /** The manager to start jobs on. Default: `req.backgroundJobs`, attached by `backgroundJobs()` mounted before. */
  manager?: BackgroundJobsManager;
  /**
   * The largest JSON body of `POST /`, in bytes; a larger one is refused with 413.
   * @default 1048576 (1 MB)
   */
  bodyLimit?: number;
  /**
   * Seconds between the comment lines that keep an event stream open through proxies.
   * @default 15
   */
  heartbeatSeconds?: number;
}

/** The options, checked, with their defaults. */
export type ApiSettings = Required<Omit<BackgroundJobsApiOptions, 'manager'>> &
  Pick<BackgroundJobsApiOptions, 'manager'>;

const OPTION_NAMES = ['methods', 'owner', 'manager', 'bodyLimit', 'heartbeatSeconds'];
const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_HEARTBEAT_SECONDS = 15;
/** setInterval's longest delay, in seconds. */
const MAX_HEARTBEAT_SECONDS = 2_147_483;
/** A method name as the handlers loader takes it, checked again there when a job starts. */
const METHOD_NAME = /^[^.\s]+\.[^.\s]+$/;

/**
 * @throws BackgroundJobsError `WBJ_CONFIG` naming the option, the value and what it takes.
 */
export function checkApiOptions(options: BackgroundJobsApiOptions): ApiSettings {
  const fail = (message: string): never => {
    throw new BackgroundJobsError('WBJ_CONFIG', message);
  };
  if (typeof options !== 'object' || options === null)
    fail(`backgroundJobsApi(options) takes an object { methods, owner }, got ${describeValue(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name))
      fail(
        `Unknown backgroundJobsApi option ${JSON.stringify(name)}; expected one of ${OPTION_NAMES.join(', ')}`,
      );
  }
  const { methods, owner, manager } = options;
  const { bodyLimit = DEFAULT_BODY_LIMIT, heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS } = options;
  if (typeof methods !== 'function') {
    if (!Array.isArray(methods)) {
      fail(
        `backgroundJobsApi needs methods: the "Module.Method" names a browser may start (an array), or a function (name, req) => boolean; got ${describeValue(methods)}`,
      );
    }
    const bad = methods.findIndex((name: unknown) => typeof name !== 'string' || !METHOD_NAME.test(name));
    if (bad >= 0)
      fail(`backgroundJobsApi's methods must list "Module.Method" names, got ${describeValue(methods[bad])}`);
  }
  if (owner !== false && typeof owner !== 'function') {
    fail(
      `backgroundJobsApi needs owner: a function (req) => the id of the request's user, so that each user sees only their jobs; or owner: false, written out, for a router whose jobs anyone may see and cancel. Got ${describeValue(owner)}`,
    );
  }
  if (manager !== undefined && !(manager instanceof BackgroundJobsManager))
    fail(`backgroundJobsApi's manager must be a BackgroundJobsManager, got ${describeValue(manager)}`);
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1)
    fail(
      `backgroundJobsApi's bodyLimit must be a positive whole number of bytes, got ${describeValue(bodyLimit)}`,
    );
  if (
    typeof heartbeatSeconds !== 'number' ||
    !(heartbeatSeconds > 0 && heartbeatSeconds <= MAX_HEARTBEAT_SECONDS)
  ) {
    fail(
      `backgroundJobsApi's heartbeatSeconds must be a number of seconds above 0, at most ${MAX_HEARTBEAT_SECONDS}, got ${describeValue(heartbeatSeconds)}`,
    );
  }
  // A copy of the list: what the application changes in its array later does not open the router.
  const allowed = typeof methods === 'function' ? methods : Object.freeze([...methods]);
  return { methods: allowed, owner, manager, bodyLimit, heartbeatSeconds };
}
