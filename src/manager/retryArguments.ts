// The checks of execute's retry and delay options (attempts, backoff, delaySeconds, startAt): each refuses a bad
// value with WBJ_BAD_ARGUMENT naming the option, the value and what was expected, before anything has run.
import { BackgroundJobsError, describeValue } from '../errors';
import type { Backoff, ExecuteOptions } from '../jobs/ownManager';
import type { JobRequest } from '../stores/JobStore';
import { MAX_TIMEOUT_SECONDS, MAX_TIMER_MS } from '../timerLimit';

/** The most attempts a job may have: more is a loop, not a retry. */
export const MAX_ATTEMPTS = 1000;

/** The execute options this file reads. */
export const RETRY_OPTIONS = ['attempts', 'backoff', 'delaySeconds', 'startAt'] as const;

/** The part of a job's request that execute's `options` set: its attempts and when it may start. */
export function retryRequest(
  options: ExecuteOptions,
  now = Date.now(),
): Pick<JobRequest, 'retry' | 'startAt'> {
  const { attempts = 1, backoff, delaySeconds, startAt } = options;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) {
    throw badOption('attempts', attempts, `an integer from 1 to ${MAX_ATTEMPTS}`);
  }
  const checkedBackoff = backoff === undefined ? undefined : checkBackoff(backoff);
  if (delaySeconds !== undefined && startAt !== undefined) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `execute's options take delaySeconds or startAt, not both; got delaySeconds ${describeValue(delaySeconds)} and startAt ${describeValue(startAt)}`,
    );
  }
  if (delaySeconds !== undefined) checkSeconds('delaySeconds', delaySeconds);
  if (startAt !== undefined && !(startAt instanceof Date && startAt.getTime() - now <= MAX_TIMER_MS)) {
    // An invalid Date (NaN) fails the comparison too.
    throw badOption(
      'startAt',
      startAt,
      `a valid Date at most ${MAX_TIMEOUT_SECONDS} s (about 24.8 days, the longest timer Node keeps) from now`,
    );
  }
  const start = startAt?.getTime() ?? (delaySeconds ? now + delaySeconds * 1000 : undefined);
  return {
    ...(attempts > 1 && { retry: { attempts, backoff: checkedBackoff } }),
    ...(start !== undefined && start > now && { startAt: start }),
  };
}

function checkBackoff(backoff: unknown): Backoff {
  const expected = `{ type: 'fixed' | 'exponential', delaySeconds: number }`;
  if (typeof backoff !== 'object' || backoff === null || Array.isArray(backoff)) {
    throw badOption('backoff', backoff, expected);
  }
  for (const name of Object.keys(backoff)) {
    if (name !== 'type' && name !== 'delaySeconds') {
      throw badOption('backoff', backoff, `${expected}, without ${JSON.stringify(name)}`);
    }
  }
  const { type, delaySeconds } = backoff as Backoff;
  if (type !== 'fixed' && type !== 'exponential') {
    throw badOption('backoff.type', type, `'fixed' or 'exponential'`);
  }
  checkSeconds('backoff.delaySeconds', delaySeconds);
  return { type, delaySeconds };
}

function checkSeconds(name: string, seconds: unknown): void {
  if (typeof seconds !== 'number' || !(seconds >= 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw badOption(name, seconds, `a number of seconds from 0 to ${MAX_TIMEOUT_SECONDS}`);
  }
}

function badOption(name: string, value: unknown, expected: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `execute({ ${name} }) takes ${expected}, got ${describeValue(value)}`,
  );
}
