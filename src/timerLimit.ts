/**
 * setTimeout's and setInterval's ceiling, 2^31 - 1 ms (about 24.8 days): Node turns a longer delay into 1 ms, so a
 * timer set from a larger value would fire at once, and an interval would spin. Every time setting stays under it.
 */
export const MAX_TIMER_MS = 0x7fffffff;

/** {@link MAX_TIMER_MS} in whole seconds, for the settings and arguments given in seconds. */
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
