import { Cron } from 'croner';

/**
 * Cron expressions parsed by croner, shared by the schedules that use them. A parsed expression holds a table of
 * every year it may run in (10,000 numbers, ~80 KB), so one kept per schedule made 10,000 schedules take 800 MB:
 * only the most recently used few are kept, and a schedule asked for its next run parses its expression again when
 * it has gone (~0.1 ms, once per run at most).
 */

/** How many parsed expressions are kept: enough for the schedules that fire every second or minute. */
const KEPT = 64;
/** Least recently used first: a Map keeps its keys in the order they were set. */
const kept = new Map<string, Cron>();

/**
 * `cron` read in `zone`, parsed (five fields, or six with seconds first); a paused croner `Cron`, which only answers
 * `nextRun`, so one instance serves every schedule with the same expression and zone.
 * @throws Error croner's, for an expression it cannot parse.
 */
export function parsedCron(cron: string, zone: string): Cron {
  const key = `${zone} ${cron}`;
  const parsed = kept.get(key) ?? new Cron(cron, { timezone: zone, paused: true, mode: '5-or-6-parts' });
  kept.delete(key);
  kept.set(key, parsed);
  if (kept.size > KEPT) kept.delete(kept.keys().next().value!);
  return parsed;
}
