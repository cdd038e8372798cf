import { BackgroundJobsError } from '../errors';

/**
 * The errors of the field checks of schedules and scheduled jobs. A check names the field, the value and what it
 * takes, not whose field it is: its caller knows that (a job's name, a window of the day, the call) and adds it with
 * {@link withPrefix}; web.config's reader turns it into `WBJ_CONFIG` with the line.
 */

/** `WBJ_BAD_ARGUMENT`: a field of a schedule or a scheduled job is wrong, as `message` says. */
export function fieldError(message: string): BackgroundJobsError {
  return new BackgroundJobsError('WBJ_BAD_ARGUMENT', message);
}

/** Whether `error` is what a field check throws (and not, say, a method's `WBJ_BAD_METHOD_NAME`). */
export function isFieldError(error: unknown): error is BackgroundJobsError {
  return error instanceof BackgroundJobsError && error.code === 'WBJ_BAD_ARGUMENT';
}

/** Runs `check`; a field error it throws is thrown again with `prefix` before its message. */
export function withPrefix<T>(prefix: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isFieldError(error)) throw fieldError(prefix + error.message);
    throw error;
  }
}
