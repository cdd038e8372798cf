// How the jobs API answers a refusal: JSON { error: { code, message } } with the HTTP status of its code, the same
// for every route, so a browser client reads one shape.
import type { NextFunction, Request, Response } from 'express';
import { BackgroundJobsError, type BackgroundJobsErrorCode } from '../../errors';

const STATUS: Partial<Record<BackgroundJobsErrorCode, number>> = {
  WBJ_BAD_ARGUMENT: 400,
  WBJ_PARAM_NOT_CLONEABLE: 400,
  WBJ_PARAM_NOT_STORABLE: 400,
  WBJ_UNAUTHENTICATED: 401,
  WBJ_FORBIDDEN: 403,
  WBJ_NOT_FOUND: 404,
  WBJ_KEY_CONFLICT: 409,
  WBJ_BODY_TOO_LARGE: 413,
  WBJ_UNSUPPORTED_MEDIA_TYPE: 415,
  WBJ_STORE_UNAVAILABLE: 503,
  WBJ_CLOSED: 503,
};

/** A refusal the API answers itself; `holderUuid` for a key conflict with the caller's own job. */
export class ApiRefusal extends BackgroundJobsError {
  readonly holderUuid: string | undefined;

  constructor(code: BackgroundJobsErrorCode, message: string, holderUuid?: string) {
    super(code, message);
    this.holderUuid = holderUuid;
  }
}

/**
 * The router's error handler: a BackgroundJobsError whose code is a client's (or the store's) answers with its
 * status; anything else (the application's own bug: an owner() that throws, a method allowed without a handler)
 * goes on to the application's error handler.
 */
export function answerError(given: unknown, _req: Request, res: Response, next: NextFunction): void {
  const error = malformed(given) ?? given;
  const status = error instanceof BackgroundJobsError ? STATUS[error.code] : undefined;
  if (status === undefined || res.headersSent) return next(error);
  const { code, message } = error as BackgroundJobsError;
  const holderUuid = error instanceof ApiRefusal ? error.holderUuid : undefined;
  res.status(status).json({ error: { code, message, ...(holderUuid !== undefined && { holderUuid }) } });
}

/**
 * Express's own refusal of a request (a path that is not valid percent-encoding): a client's error like the API's,
 * so answered in the API's shape, not with the application's HTML error page.
 */
function malformed(error: unknown): ApiRefusal | undefined {
  if (error instanceof BackgroundJobsError || (error as { status?: unknown } | null)?.status !== 400)
    return undefined;
  return new ApiRefusal('WBJ_BAD_ARGUMENT', `The request is malformed: ${String((error as Error).message)}`);
}

/** The one answer for a job that does not exist and for another owner's: the two cannot be told apart. */
export function notFound(uuid: string): ApiRefusal {
  return new ApiRefusal(
    'WBJ_NOT_FOUND',
    `No background job ${JSON.stringify(uuid)}: it never existed, it has left the history, or it is not yours`,
  );
}
