import type { RequestHandler } from 'express';
import type { BackgroundJobsOptions } from '../config/options';
import { BackgroundJobsManager } from '../jobs/BackgroundJobsManager';

declare global {
  namespace Express {
    interface Request {
      /** The application's background-jobs manager, attached by `backgroundJobs()`. */
      backgroundJobs: BackgroundJobsManager;
    }
  }
}

/** The middleware, with the manager it hands out (for start-up code and tests). */
export interface BackgroundJobsMiddleware extends RequestHandler {
  /** `undefined` when web.config exists but does not attach the library. */
  readonly manager: BackgroundJobsManager | undefined;
}

/**
 * Express middleware that gives every request of the application one shared manager as `req.backgroundJobs`.
 * Settings come from web.config (`WebBackgroundJobs`, `jobsCheckInterval`, …), overridden by `options`.
 * When the config file exists but lacks `WebBackgroundJobs` = `attachAssembly`, it attaches nothing and logs why.
 * @throws BackgroundJobsError `WBJ_CONFIG` at start-up for a malformed config or option.
 */
export function backgroundJobs(options: BackgroundJobsOptions = {}): BackgroundJobsMiddleware {
  const manager = new BackgroundJobsManager(options);
  if (!manager.settings.enabled) {
    (options.logger ?? console).warn(`[web-background-jobs] ${manager.settings.disabledReason}`);
    return Object.assign<RequestHandler, { manager: undefined }>((_req, _res, next) => next(), {
      manager: undefined,
    });
  }
  return Object.assign<RequestHandler, { manager: BackgroundJobsManager }>(
    (req, _res, next) => {
      req.backgroundJobs = manager;
      next();
    },
    { manager },
  );
}
