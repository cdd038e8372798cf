import { types } from 'node:util';
// Type-only: a wait error carries the jobs it names; errors.ts runs no code of jobs/ (the model layer holds both).
import type { BackgroundJob } from './jobs/BackgroundJob';

/**
 * Stable codes of {@link BackgroundJobsError}, so callers can branch without parsing messages.
 *
 * | code | when |
 * |---|---|
 * | `WBJ_CONFIG` | the application is set up wrong: web.config or an option is malformed or out of range, web.config does not attach the library, or a Redis store's clients (bullmq, ioredis) are not installed (start-up); or a dashboard has no manager to reach, or no express (`npm install express`) |
 * | `WBJ_BAD_ARGUMENT` | a use the typings forbid: an argument of the wrong type or form, `new` on a class the manager makes, an assignment to a read-only or unknown member |
 * | `WBJ_BAD_METHOD_NAME` | a method name is not `Module.Method`, or tries to leave the handlers folder |
 * | `WBJ_HANDLER_NOT_FOUND` | no module or no exported function answers to the name |
 * | `WBJ_HANDLER_AMBIGUOUS` | several modules or exports match the name case-insensitively |
 * | `WBJ_HANDLER_LOAD_FAILED` | the handler module threw while loading |
 * | `WBJ_PARAM_NOT_CLONEABLE` | a parameter cannot be copied with structured clone |
 * | `WBJ_PARAM_NOT_STORABLE` | a parameter is not JSON data, which a Redis store needs |
 * | `WBJ_KEY_CONFLICT` | an active job of the same method already holds the key |
 * | `WBJ_JOBS_FAILED` | a wait ended and some of the awaited jobs had failed |
 * | `WBJ_WAIT_TIMEOUT` | a wait's timeout expired before every job finished |
 * | `WBJ_WAIT_DEADLOCK` | a job's wait was refused: it waited without a timeout while every running slot is held by a waiting job, or for itself |
 * | `WBJ_NO_CURRENT_JOB` | `message()` was called outside a running job |
 * | `WBJ_CANCELED` | the reason of a cancelled job's `signal` |
 * | `WBJ_JOB_TIMEOUT` | a job ran past its time limit: its `errorInfo.code` and its `signal`'s reason |
 * | `WBJ_WORKER_CRASHED` | the worker thread running a job died (`process.exit()`, an uncaught exception, out of memory) |
 * | `WBJ_RESULT_NOT_CLONEABLE` | a result cannot cross threads: a job's from its worker thread, or a `ФоновыеЗадания` answer into one |
 * | `WBJ_RESULT_NOT_STORABLE` | a handler's result is not JSON data, which a Redis store needs |
 * | `WBJ_WORKER_LOST` | the process running a job of a Redis store stopped answering (crashed, killed, or cut off from Redis) |
 * | `WBJ_JOB_LOST` | a job's record disappeared from Redis (restart without persistence, FLUSHDB, eviction) |
 * | `WBJ_STORE_UNAVAILABLE` | the Redis store could not be reached; nothing was started or changed |
 * | `WBJ_CLOSED` | `execute` after `close()`; on a Redis store, any read after it too |
 * | `WBJ_NOT_FOUND` | the dashboard API or the jobs API was asked for a job it does not know, or another owner's (404) |
 * | `WBJ_FORBIDDEN` | the dashboard refused a request (not local or not authorized), the jobs API a method off its list, or either a possible forgery (403) |
 * | `WBJ_NESTING_TOO_DEEP` | `execute` from a job already 100 levels deep in jobs started from jobs; the arguments were fine |
 * | `WBJ_NAME_TAKEN` | a scheduled job's `write()`: another scheduled job has the name, whatever its case |
 * | `WBJ_NOT_SAVED` | a scheduled job's `runNow()`: it was never written, or was deleted |
 * | `WBJ_PREDEFINED` | a scheduled job's `delete()` of a job declared in this instance's web.config (predefined): remove it there, or set `use` to false |
 * | `WBJ_PREVIOUS_RUN_ACTIVE` | a scheduled job's `runNow()` while its previous run is active (a run due on its schedule then is skipped, and the skip logged) |
 * | `WBJ_UNAUTHENTICATED` | the jobs API (`backgroundJobsApi`) was asked by a request its `owner(req)` names no user for (401) |
 * | `WBJ_BODY_TOO_LARGE` | the jobs API was sent a body over its `bodyLimit` (413) |
 * | `WBJ_UNSUPPORTED_MEDIA_TYPE` | the jobs API was sent a body that is not `application/json` (415) |
 * | `WBJ_NOT_ATTACHED` | `req.backgroundJobs` read where the middleware gave no manager: the route was registered before `app.use(backgroundJobs())`, or web.config does not attach the library |
 */
export type BackgroundJobsErrorCode = (typeof ERROR_CODES)[number];

/**
 * Every {@link BackgroundJobsErrorCode}, for code that checks a value (and for test/readme.test.ts, which finds each
 * in the error table of docs/api.md).
 */
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
  'WBJ_WAIT_DEADLOCK',
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
  'WBJ_NESTING_TOO_DEEP',
  'WBJ_NAME_TAKEN',
  'WBJ_NOT_SAVED',
  'WBJ_PREVIOUS_RUN_ACTIVE',
  'WBJ_PREDEFINED',
  'WBJ_NOT_ATTACHED',
  'WBJ_UNAUTHENTICATED',
  'WBJ_BODY_TOO_LARGE',
  'WBJ_UNSUPPORTED_MEDIA_TYPE',
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

/** A wait that ended with failed or unfinished jobs; `jobs` lists them. */
export class BackgroundJobsWaitError extends BackgroundJobsError {
  /** The failed jobs (`WBJ_JOBS_FAILED`) or the unfinished ones (`WBJ_WAIT_TIMEOUT`). */
  readonly jobs: readonly BackgroundJob[];

  constructor(code: 'WBJ_JOBS_FAILED' | 'WBJ_WAIT_TIMEOUT', message: string, jobs: readonly BackgroundJob[]) {
    super(code, message);
    this.name = 'BackgroundJobsWaitError';
    this.jobs = Object.freeze(jobs.slice());
  }
}

/**
 * 1C's key rule, broken: an active job of the same method holds the key (`WBJ_KEY_CONFLICT`). `holderUuid` names that
 * job, for a caller that shows it instead (`findByUUID`); whose job it is, is never told.
 */
export class BackgroundJobsKeyConflictError extends BackgroundJobsError {
  /** The UUID of the active job holding the key. */
  readonly holderUuid: string;

  constructor(message: string, holderUuid: string) {
    // Its name stays BackgroundJobsError, as a conflict's was before it carried holderUuid (code that checks the name).
    super('WBJ_KEY_CONFLICT', message);
    this.holderUuid = holderUuid;
  }
}

/** How much of a string a message quotes; the rest is counted, not copied (a 100 MB argument stays out of logs). */
const QUOTED_CHARACTERS = 200;

/**
 * Shows a caller's value inside an error message: strings quoted, everything else by type (`10n`, `an array of 3`,
 * `an object (Date)`). It never throws and runs none of the value's code: a Proxy is named as one without
 * touching its traps, no getter is called, and an object is named by the constructor its prototype holds, not by
 * a `Symbol.toStringTag` it may fake.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length <= QUOTED_CHARACTERS
        ? JSON.stringify(value)
        : `${JSON.stringify(value.slice(0, QUOTED_CHARACTERS))}… (${value.length} characters)`;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return clip(String(value));
    case 'function':
      return types.isProxy(value)
        ? 'a Proxy of a function'
        : `a function (${functionName(value) || 'anonymous'})`;
    case 'object':
      if (value === null) return 'null';
      if (types.isProxy(value)) return 'a Proxy';
      if (Array.isArray(value)) return `an array of ${value.length}`;
      return `an object (${className(value)})`;
    default:
      return String(value);
  }
}

/**
 * What `error` says, to quote inside another message: its `message` when that is a string, else the value
 * described. It never throws, and drops a final full stop: the sentence quoting it goes on (`…: <it>. Pass…`).
 */
export function messageOf(error: unknown): string {
  let text: string | undefined;
  if (typeof error === 'object' && error !== null && !types.isProxy(error)) {
    try {
      const { message } = error as { message?: unknown };
      if (typeof message === 'string') text = message;
    } catch {
      // A getter that throws: the value is described instead.
    }
  }
  return (text ?? describeValue(error)).trimEnd().replace(/\.+$/, '');
}

/**
 * Runs `check` over a caller's argument `value`, so that a hostile one (a Proxy whose traps throw, a revoked Proxy,
 * a getter that throws) is refused with `code` naming the call, instead of leaking what it threw. Errors of this
 * library pass as they are.
 * @param code - `WBJ_CONFIG` for options read at start-up, like every other option error.
 */
export function checkArgument<T>(
  call: string,
  value: unknown,
  check: () => T,
  code: 'WBJ_BAD_ARGUMENT' | 'WBJ_CONFIG' = 'WBJ_BAD_ARGUMENT',
): T {
  try {
    return check();
  } catch (error) {
    if (!types.isProxy(error) && error instanceof BackgroundJobsError) throw error;
    throw new BackgroundJobsError(
      code,
      `${call}: ${describeValue(value)} cannot be read (${messageOf(error)}). Pass plain values, not a Proxy or an object whose getters throw`,
      { cause: error },
    );
  }
}

function functionName(fn: object): string {
  // The descriptor, not `fn.name`: a `name` getter would run.
  const name: unknown = Object.getOwnPropertyDescriptor(fn, 'name')?.value;
  return typeof name === 'string' ? clip(name) : '';
}

/** The name of the constructor on the nearest prototype that holds one, read through descriptors only. */
function className(object: object): string {
  try {
    let prototype: unknown = Object.getPrototypeOf(object);
    if (prototype === null) return 'null prototype';
    while (typeof prototype === 'object' && prototype !== null && !types.isProxy(prototype)) {
      const constructor: unknown = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value;
      if (typeof constructor === 'function' && !types.isProxy(constructor)) {
        return functionName(constructor) || 'anonymous class';
      }
      prototype = Object.getPrototypeOf(prototype);
    }
    return 'no constructor';
  } catch {
    // Exotic prototypes (a module namespace still initializing) can throw even from a descriptor read.
    return 'unreadable';
  }
}

function clip(text: string): string {
  return text.length <= QUOTED_CHARACTERS ? text : `${text.slice(0, QUOTED_CHARACTERS)}…`;
}
