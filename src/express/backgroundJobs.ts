import type { Server } from 'node:http';
import type { RequestHandler } from 'express';
import { loadSettings } from '../config/loadSettings';
import { logWriter } from '../config/logWriter';
import type { BackgroundJobsOptions } from '../config/options';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { BackgroundJobsManager, LOADED_SETTINGS } from '../manager/BackgroundJobsManager';
import { checkTimeout } from '../jobs/waits';
import { defineRequestGetter, markDetached } from './notAttached';

declare global {
  namespace Express {
    interface Request {
      /**
       * The application's background-jobs manager, attached by `backgroundJobs()`. Reading it where the middleware
       * gave none (a route registered before it, or a web.config that does not attach the library) throws
       * `WBJ_NOT_ATTACHED` saying which.
       */
      backgroundJobs: BackgroundJobsManager;
    }
  }
}

/** Options of {@link backgroundJobs}: the manager's, plus how it follows the HTTP server. */
export interface BackgroundJobsMiddlewareOptions extends BackgroundJobsOptions {
  /**
   * Calls `manager.close()` when the HTTP server serving the app emits `close` (after `server.close()`):
   * `true` for the default grace, or `{ graceSeconds }`. The server is learnt from the first request it serves.
   * Default `false`.
   */
  closeOnServerClose?: boolean | { graceSeconds?: number };
}

/** The middleware, with the manager it hands out (for start-up code and tests). */
export interface BackgroundJobsMiddleware extends RequestHandler {
  /** `undefined` when web.config exists but does not attach the library. */
  readonly manager: BackgroundJobsManager | undefined;
}

/**
 * Express middleware that gives every request of the application one shared manager as `req.backgroundJobs`.
 * Settings come from web.config (`WebBackgroundJobs`, `jobsCheckInterval`, …), overridden by `options`.
 * When the config file exists but lacks `WebBackgroundJobs` = `attachAssembly`, it attaches nothing and logs why;
 * `req.backgroundJobs` then throws `WBJ_NOT_ATTACHED` with the same reason.
 * @throws BackgroundJobsError `WBJ_CONFIG` at start-up for a malformed config or option.
 */
export function backgroundJobs(options: BackgroundJobsMiddlewareOptions = {}): BackgroundJobsMiddleware {
  const { closeOnServerClose, managerOptions, log, settings } = checkArgument(
    'backgroundJobs(options)',
    options,
    () => readOptions(options),
    'WBJ_CONFIG',
  );
  defineRequestGetter();
  const { disabledReason } = settings;
  if (disabledReason !== undefined) {
    log('warn', `[web-background-jobs] ${disabledReason}`);
    return Object.assign<RequestHandler, { manager: undefined }>(
      (req, _res, next) => {
        markDetached(req, disabledReason);
        next();
      },
      { manager: undefined },
    );
  }
  const manager = new BackgroundJobsManager(managerOptions, { [LOADED_SETTINGS]: settings });
  const closeOptions = closeOnServerClose === true ? {} : closeOnServerClose || undefined;
  const followed = new WeakSet<Server>();
  return Object.assign<RequestHandler, { manager: BackgroundJobsManager }>(
    (req, _res, next) => {
      req.backgroundJobs = manager;
      // Node sets `socket.server` on every connection it accepts: the server the app was listened on.
      const server = (req.socket as { server?: Server }).server;
      if (closeOptions !== undefined && server !== undefined && !followed.has(server)) {
        followed.add(server);
        server.once('close', () => void manager.close(closeOptions));
      }
      next();
    },
    { manager },
  );
}

/** The options the middleware takes for itself, named among the others when an unknown option is refused. */
const MIDDLEWARE_OPTIONS: readonly (keyof BackgroundJobsMiddlewareOptions)[] = ['closeOnServerClose'];

/** The middleware's own option checked, and the settings loaded from the manager's options. */
function readOptions(options: BackgroundJobsMiddlewareOptions) {
  const { closeOnServerClose = false, ...managerOptions } = options ?? {};
  if (
    typeof closeOnServerClose !== 'boolean' &&
    (typeof closeOnServerClose !== 'object' || closeOnServerClose === null)
  ) {
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The closeOnServerClose option must be true, false or { graceSeconds }, got ${describeValue(closeOnServerClose)}`,
    );
  }
  if (typeof closeOnServerClose === 'object') {
    try {
      checkTimeout(closeOnServerClose.graceSeconds, 'closeOnServerClose: { graceSeconds }');
    } catch (error) {
      throw new BackgroundJobsError('WBJ_CONFIG', (error as Error).message);
    }
  }
  // Settings first, the manager only when attached: a detached instance builds no store, worker or timer.
  const log = logWriter(managerOptions.logger ?? console, managerOptions.logFormat);
  const settings = loadSettings(managerOptions, (line) => log('warn', line), MIDDLEWARE_OPTIONS);
  return { closeOnServerClose, managerOptions, log, settings };
}
