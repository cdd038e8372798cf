/**
 * Stable codes of {@link BackgroundJobsError}, so callers can branch without parsing messages.
 *
 * | code | when |
 * |---|---|
 * | `WBJ_CONFIG` | web.config or an option is malformed or out of range (start-up) |
 * | `WBJ_BAD_ARGUMENT` | a method got an argument of the wrong type or form |
 * | `WBJ_BAD_METHOD_NAME` | a method name is not `Module.Method`, or tries to leave the handlers folder |
 * | `WBJ_HANDLER_NOT_FOUND` | no module or no exported function answers to the name |
 * | `WBJ_HANDLER_AMBIGUOUS` | several modules or exports match the name case-insensitively |
 * | `WBJ_HANDLER_LOAD_FAILED` | the handler module threw while loading |
 * | `WBJ_PARAM_NOT_CLONEABLE` | a parameter cannot be copied with structured clone |
 * | `WBJ_PARAM_NOT_STORABLE` | a parameter is not JSON data, which a Redis store needs |
 * | `WBJ_KEY_CONFLICT` | an active job of the same method already holds the key |
 * | `WBJ_JOBS_FAILED` | a wait ended and some of the awaited jobs had failed |
 * | `WBJ_WAIT_TIMEOUT` | a wait's timeout expired before every job finished |
 * | `WBJ_NO_CURRENT_JOB` | `message()` was called outside a running job |
 * | `WBJ_CANCELED` | the reason of a cancelled job's `signal` |
 * | `WBJ_JOB_TIMEOUT` | a job ran past its time limit: its `errorInfo.code` and its `signal`'s reason |
 * | `WBJ_WORKER_CRASHED` | the worker thread running a job died (`process.exit()`, an uncaught exception, out of memory) |
 * | `WBJ_RESULT_NOT_CLONEABLE` | a worker's result cannot be copied back to the application |
 * | `WBJ_RESULT_NOT_STORABLE` | a handler's result is not JSON data, which a Redis store needs |
 * | `WBJ_WORKER_LOST` | the process running a job of a Redis store stopped answering (crashed, killed, or cut off from Redis) |
 * | `WBJ_JOB_LOST` | a job's record disappeared from Redis (restart without persistence, FLUSHDB, eviction) |
 * | `WBJ_STORE_UNAVAILABLE` | the Redis store could not be reached; nothing was started or changed |
 * | `WBJ_CLOSED` | `execute` after `close()`; on a Redis store, any read after it too |
 * | `WBJ_NOT_FOUND` | the dashboard API was asked for a job it does not know (404) |
 * | `WBJ_FORBIDDEN` | the dashboard refused a request: not local or not authorized, or a possible forgery (403) |
 */
export type BackgroundJobsErrorCode = (typeof ERROR_CODES)[number];

/** Every {@link BackgroundJobsErrorCode}, for code that checks a value (and for the README check). */
export const ERROR_CODES = [
  'WBJ_CONFIG',
  'WBJ_BAD_ARGUMENT',
  'WBJ_BAD_METHOD_NAME',
  'WBJ_HANDLER_NOT_FOUND',
  'WBJ_HANDLER_AMBIGUOUS',
  'WBJ_HANDLER_LOAD_FAILED',
  'WBJ_PARAM_NOT_CLONEABLE',
  'WBJ_PARAM_NOT_STORABLE',
  'WBJ_KEY_CONFLICT',
  'WBJ_JOBS_FAILED',
  'WBJ_WAIT_TIMEOUT',
  'WBJ_NO_CURRENT_JOB',
  'WBJ_CANCELED',
  'WBJ_JOB_TIMEOUT',
  'WBJ_WORKER_CRASHED',
  'WBJ_RESULT_NOT_CLONEABLE',
  'WBJ_RESULT_NOT_STORABLE',
  'WBJ_WORKER_LOST',
  'WBJ_JOB_LOST',
  'WBJ_STORE_UNAVAILABLE',
  'WBJ_CLOSED',
  'WBJ_NOT_FOUND',
  'WBJ_FORBIDDEN',
] as const;

/** Every error this library raises: a sentence naming the bad value, plus a stable {@link BackgroundJobsErrorCode}. */
export class BackgroundJobsError extends Error {
  readonly code: BackgroundJobsErrorCode;

  constructor(code: BackgroundJobsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackgroundJobsError';
    this.code = code;
  }
}

/** Shows a user-supplied value inside an error message: strings quoted, everything else by type. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `an object (${value.constructor?.name ?? 'null prototype'})`;
}
