import type { Settings } from '../config/options';
import { MemoryScheduleStore } from './MemoryScheduleStore';
import type { OnTick, ScheduleStore } from './ScheduleStore';

/** The schedule store `jobsStore` asks for, beside the job store {@link createStore} picks for the same setting. */
export function createScheduleStore(settings: Settings, onTick: OnTick): ScheduleStore {
  if (settings.store === 'memory') return new MemoryScheduleStore(onTick);
  // Loaded only here, as the Redis job store is: a memory-store application never loads BullMQ.
  const { RedisScheduleStore } = require('./RedisScheduleStore') as typeof import('./RedisScheduleStore');
  return new RedisScheduleStore(settings, onTick);
}
