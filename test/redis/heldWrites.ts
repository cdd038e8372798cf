import type { Redis } from 'ioredis';
import { registry } from '../helpers';

/**
 * Holds Redis's writes as the next `Probe.BeforeEnd` job ends (once `ready` resolves), for `ms` or until
 * `CLIENT UNPAUSE`, and resolves once the worker's one script that stores the job's end and takes the next job is
 * sent (in the turn its handler settles, right behind the one this hook is called in) and waits in Redis.
 */
export function holdWritesAsItEnds(
  admin: Redis,
  { ms = 20_000, ready }: { ms?: number; ready?: Promise<void> } = {},
): Promise<void> {
  return new Promise((resolve) => {
    registry.beforeEnd = async () => {
      registry.beforeEnd = undefined; // that job's end only
      await ready;
      await admin.client('PAUSE', String(ms), 'WRITE');
      setImmediate(() => setImmediate(resolve));
    };
  });
}
