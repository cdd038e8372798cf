import type { Request, RequestHandler } from 'express';
import type { BackgroundJobsManager } from '../../manager/BackgroundJobsManager';

/** What the dashboard's groups of routes share. */
export interface DashboardRoutes {
  /** The manager a request is answered from. */
  readonly managerOf: (req: Request) => BackgroundJobsManager;
  /** The CSRF check every route that changes something sits behind. */
  readonly sameSite: RequestHandler;
  /** Parses a small JSON body. */
  readonly json: RequestHandler;
  readonly readOnly: boolean;
}
