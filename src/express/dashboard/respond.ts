import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BackgroundJobsError, type BackgroundJobsErrorCode } from '../../errors';
import { forgeryReason } from './access';

/** The HTTP status of each error the dashboard's API answers; any other code is a 500. */
const STATUS: Partial<Record<BackgroundJobsErrorCode, number>> = {
  WBJ_BAD_ARGUMENT: 400,
  WBJ_FORBIDDEN: 403,
  WBJ_NOT_FOUND: 404,
  WBJ_NOT_SAVED: 404,
  WBJ_JOB_ACTIVE: 409,
  WBJ_KEY_CONFLICT: 409,
  WBJ_PREVIOUS_RUN_ACTIVE: 409,
  WBJ_STORE_UNAVAILABLE: 503,
};

export function forbidden(res: Response, message: string): void {
  res.status(403).json({ code: 'WBJ_FORBIDDEN', error: message });
}

/** Express 4 does not catch a rejected handler: pass the error on as Express 5 would. */
export function handle(
  fn: (req: Request, res: Response, next: NextFunction) => Promise<void>,
): RequestHandler {
  return (req, res, next) => void fn(req, res, next).catch(next);
}

export function notFound(what: string, uuid: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_NOT_FOUND',
    `No ${what} ${uuid}: it never existed here, or it has left the ${what === 'background job' ? 'history' : 'store'}`,
  );
}

/**
 * Lets through only a request that cannot be a cross-site forgery: every route that changes something sits behind
 * it, so none of them can forget the check.
 */
export function sameSiteOnly(csrfToken: string): RequestHandler {
  return (req, res, next) => {
    const reason = forgeryReason(req, csrfToken);
    if (reason === undefined) return next();
    forbidden(
      res,
      `Refused as a possible cross-site request: ${reason}. Send the token of GET api/csrf-token in X-CSRF-Token`,
    );
  };
}

/** Answers the API's errors as `{ code, error }`; anything else goes on to the application's error handler. */
export function answerError(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (error instanceof BackgroundJobsError) {
    return void res.status(STATUS[error.code] ?? 500).json({ code: error.code, error: error.message });
  }
  // Express refuses some requests itself (a path that is not valid percent-encoding, a body that is not JSON): a
  // client's error like ours, so answered like ours, not with the application's HTML error page and its stack.
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 400 || status === 413 || status === 415) {
    const reason = String((error as { message?: unknown }).message);
    return void res
      .status(status)
      .json({ code: 'WBJ_BAD_ARGUMENT', error: `The request is malformed: ${reason}` });
  }
  next(error);
}
