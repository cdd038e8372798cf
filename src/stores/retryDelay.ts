import type { JobRetry } from './JobStore';
import { MAX_TIMER_MS } from '../timerLimit';

/**
 * How long a job waits before `attempt` (2 or more), in ms, as BullMQ computes it on a Redis store: `fixed` waits
 * `delaySeconds` every time, `exponential` `delaySeconds × 2^(attempt − 2)`; at most the longest timer Node keeps.
 */
export function retryDelayMs({ backoff }: JobRetry, attempt: number): number {
  if (backoff === undefined) return 0;
  const factor = backoff.type === 'exponential' ? 2 ** (attempt - 2) : 1;
  return Math.min(Math.round(backoff.delaySeconds * 1000 * factor), MAX_TIMER_MS);
}
