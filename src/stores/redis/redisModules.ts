import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import { loadOptionalPeer, type OptionalPeer } from '../../config/optionalPeer';
import { BackgroundJobsError } from '../../errors';
import { redactedUrl } from './unavailable';

/** The Redis clients a Redis store runs on. */
export interface RedisModules {
  readonly bullmq: typeof BullMQ;
  readonly ioredis: typeof IORedis;
}

/** What installs them: they are optional peer dependencies, which an application on the memory store never needs. */
const INSTALL = 'npm install bullmq ioredis';

/**
 * BullMQ and ioredis for the Redis store `url` (`jobsStore`): the one place that loads them, so that the first Redis
 * store of the process finds out at once, while the manager is built, whether the application installed them.
 * @throws BackgroundJobsError `WBJ_CONFIG` naming the store, what is missing and the command that installs it.
 */
export function redisModules(url: string): RedisModules {
  const peer = (name: string): OptionalPeer => ({
    name,
    neededBy: `jobsStore is the Redis store ${redactedUrl(url)}, which runs on ${name}`,
    install: INSTALL,
  });
  const bullmq = loadOptionalPeer<typeof BullMQ>(peer('bullmq'));
  const ioredis = loadOptionalPeer<typeof IORedis>(peer('ioredis'));
  if (bullmq === undefined || ioredis === undefined) {
    const missing = [bullmq === undefined && 'bullmq', ioredis === undefined && 'ioredis'].filter(Boolean);
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `jobsStore is the Redis store ${redactedUrl(url)}, which runs on bullmq and ioredis, but ` +
        `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed ` +
        `(optional peer dependencies of web-background-jobs, for Redis only). Install them in the application: ${INSTALL}`,
    );
  }
  return { bullmq, ioredis };
}
