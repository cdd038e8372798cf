// The checks of what the manager's methods are given, apart from what the methods do with it: each refuses a bad
// value with WBJ_BAD_ARGUMENT naming the call, the value and what was expected, before anything has run.
import { types } from 'node:util';
import { validate as isUuid } from 'uuid';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import type { ExecuteOptions, KeyConflictAction } from '../jobs/ownManager';
import { checkTimeout } from '../jobs/waits';
import type { JobRequest } from '../stores/JobStore';
import { RETRY_OPTIONS, retryRequest } from './retryArguments';

/**
 * The most parameters a job takes: they are spread into the handler's call, and V8 refuses a call of much more
 * than 100,000 arguments. Also keeps a sparse array of length 2^32 − 1 from being walked for minutes.
 */
const MAX_PARAMS = 65_535;

/** execute's `params`, `key` and `description`, as 1C's Выполнить takes them. */
export function checkExecuteArguments(params: unknown, key: unknown, description: unknown): void {
  // A Proxy first: Array.isArray throws on a revoked one, and its traps would run in every later read.
  if (types.isProxy(params) || !Array.isArray(params)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute(methodName, params) takes params as an array (passed positionally) or omitted, got ${describeValue(params)}`,
    );
  }
  if (params.length > MAX_PARAMS) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute(methodName, params) passes params to the handler as arguments, at most ${MAX_PARAMS} of them; got ${describeValue(params)}`,
    );
  }
  if (typeof key !== 'string') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `The job key must be a string, got ${describeValue(key)}${optionsHint(key)}`,
    );
  }
  if (typeof description !== 'string') {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `The job description must be a string, got ${describeValue(description)}${optionsHint(description)}`,
    );
  }
}

/**
 * For an object where a string belongs: most likely options put in the key's place, as a call with an options
 * object last reads in other queues (`add(name, data, opts)`), so say where they go.
 */
function optionsHint(value: unknown): string {
  // Not a Proxy: Array.isArray throws on a revoked one.
  return typeof value === 'object' && value !== null && !types.isProxy(value) && !Array.isArray(value)
    ? '; options such as { timeoutSeconds } are the fifth argument: execute(methodName, params, key, description, options)'
    : '';
}

/** The options execute takes, in the order its errors list them. */
const EXECUTE_OPTIONS = ['timeoutSeconds', 'owner', 'onKeyConflict', ...RETRY_OPTIONS] as const;

/** What onKeyConflict takes, the default first. */
const KEY_CONFLICT_ACTIONS: readonly KeyConflictAction[] = ['reject', 'join', 'replace'];

/** The longest owner: a user's id, not a document (it is stored with every job and sent with every summary). */
export const MAX_OWNER_LENGTH = 256;

function checkExecuteOptions(options: unknown): ExecuteOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute's fifth argument takes options ({ ${EXECUTE_OPTIONS.join(', ')} }), got ${describeValue(options)}`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!(EXECUTE_OPTIONS as readonly string[]).includes(name)) {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `Unknown execute option ${JSON.stringify(name)}; expected one of ${EXECUTE_OPTIONS.join(', ')}`,
      );
    }
  }
  const { timeoutSeconds, owner, onKeyConflict, attempts, backoff, delaySeconds, startAt } =
    options as ExecuteOptions;
  if (timeoutSeconds !== undefined) checkTimeout(timeoutSeconds, 'execute({ timeoutSeconds })');
  if (owner !== undefined && (typeof owner !== 'string' || owner === '' || owner.length > MAX_OWNER_LENGTH)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute({ owner }) takes a non-empty string of at most ${MAX_OWNER_LENGTH} characters (a user's id), got ${describeValue(owner)}`,
    );
  }
  if (onKeyConflict !== undefined && !KEY_CONFLICT_ACTIONS.includes(onKeyConflict)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute({ onKeyConflict }) takes one of ${KEY_CONFLICT_ACTIONS.map((action) => `'${action}'`).join(', ')}, got ${describeValue(onKeyConflict)}`,
    );
  }
  return { timeoutSeconds, owner, onKeyConflict, attempts, backoff, delaySeconds, startAt };
}

/** The options of an execute call, checked and read once (a getter runs once); `{}` when none were given. */
export function executeOptions(options: unknown): ExecuteOptions {
  if (options === undefined) return {};
  return checkArgument('execute(…, options)', options, () => checkExecuteOptions(options));
}

/** The attempts and start an execute call's checked `options` set (as {@link executeOptions} read them). */
export function executeRetries(options: ExecuteOptions): Pick<JobRequest, 'retry' | 'startAt'> {
  return checkArgument('execute(…, options)', options, () => retryRequest(options));
}

/** The job UUID `caller` was given, lower-case; `WBJ_BAD_ARGUMENT` for anything else. */
export function checkedUuid(uuid: unknown, caller: string): string {
  if (typeof uuid !== 'string' || !isUuid(uuid)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `${caller} expects a UUID string, got ${describeValue(uuid)}`,
    );
  }
  return uuid.toLowerCase();
}

/** How long `close()` lets active jobs finish before it cancels them. */
const DEFAULT_CLOSE_GRACE_SECONDS = 10;

/** The seconds `close(options)` lets active jobs finish: `graceSeconds`, or 10 when omitted. */
export function closeGraceSeconds(options: unknown): number {
  return checkArgument('close(options)', options, () => {
    const given = (options as { graceSeconds?: unknown } | null)?.graceSeconds ?? DEFAULT_CLOSE_GRACE_SECONDS;
    checkTimeout(given, 'close({ graceSeconds })');
    return given as number;
  });
}
