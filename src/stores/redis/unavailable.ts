import { BackgroundJobsError } from '../../errors';
import { within } from './within';

/** How long a freshly built store waits for its first connection before a call reports Redis unreachable. */
const FIRST_CONNECT_WAIT_MS = 3000;

/** Waits for a new store's first connection (`connected`), but no longer than {@link FIRST_CONNECT_WAIT_MS}. */
export async function firstConnection(connected: Promise<unknown>): Promise<void> {
  await within(connected, FIRST_CONNECT_WAIT_MS, undefined);
}

/** Our own errors pass as they are; anything else from Redis becomes `WBJ_STORE_UNAVAILABLE`. */
export function storeUnavailable(error: unknown, caller: string, url: string): BackgroundJobsError {
  if (error instanceof BackgroundJobsError) return error;
  const reason = error === undefined ? 'no connection' : String((error as Error).message ?? error);
  return new BackgroundJobsError(
    'WBJ_STORE_UNAVAILABLE',
    `${caller} failed: the Redis store ${redactedUrl(url)} is unreachable (${reason}); nothing was started or changed. It reconnects by itself`,
    { cause: error },
  );
}

/** A Redis URL fit for logs: the password is not printed. */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
