import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import { BackgroundJobsError, messageOf } from '../../errors';
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
  const bullmq = load<typeof BullMQ>('bullmq', url);
  const ioredis = load<typeof IORedis>('ioredis', url);
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

/** The package `name`, or undefined if it is not installed. */
function load<Module>(name: string, url: string): Module | undefined {
  try {
    return require(name) as Module;
  } catch (error) {
    if (isNotFound(error, name)) return undefined;
    // Installed, but something it needs is not (or it threw): its own error says what, not "not installed".
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `jobsStore is the Redis store ${redactedUrl(url)}, which runs on ${name}; ${name} is installed but failed to load: ` +
        `${messageOf(error).split('\n')[0]}. Reinstall it in the application: ${INSTALL}`,
      { cause: error },
    );
  }
}

/** Whether `error` says that `name` itself cannot be found, not a module `name` requires in turn. */
function isNotFound(error: unknown, name: string): boolean {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'MODULE_NOT_FOUND') return false;
  // Node: "Cannot find module 'bullmq'\nRequire stack: …"; Jest: "Cannot find module 'bullmq' from '…'".
  return /^Cannot find module '([^']*)'/.exec(messageOf(error))?.[1] === name;
}
