import type { JobStore, StoreContext } from './JobStore';
import { MemoryJobStore } from './MemoryJobStore';

/** The store `jobsStore` asks for: the one place that maps the setting to where jobs live and run. */
export function createStore(context: StoreContext): JobStore {
  if (context.settings.store === 'memory') return new MemoryJobStore(context);
  // Loaded only here: an application on the memory store never loads BullMQ and ioredis, nor needs them installed.
  const { RedisJobStore } = require('./RedisJobStore') as typeof import('./RedisJobStore');
  return new RedisJobStore(context);
}
