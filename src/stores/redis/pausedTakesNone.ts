import type { Job, Worker } from 'bullmq';

/**
 * BullMQ's Worker, made to ask Redis for no job once paused. BullMQ's own still asks for one when a blocking wait
 * begun before the pause returns (a job was added meanwhile): Redis then tells every instance that job began, and
 * the closing worker can only hand it straight back. A request sent before the pause may still hand one over.
 */
export function pausedTakesNone(Base: typeof Worker): typeof Worker {
  return class PausedTakesNone extends Base {
    protected override moveToActive(token: string, name?: string): Promise<Job> {
      // BullMQ's fetch reads a missing job as "none now", as when the queue is empty.
      return this.paused ? Promise.resolve(undefined as unknown as Job) : super.moveToActive(token, name);
    }
  };
}
