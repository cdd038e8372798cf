import type { Job, Worker } from 'bullmq';

/**
 * BullMQ's Worker, made to ask Redis for no job once paused. BullMQ's own still asks for one when a blocking wait
 * begun before the pause returns (a job was added meanwhile): Redis then tells every instance that job began, and
 * the closing worker can only hand it straight back. The wake-up that wait took (the queue's marker) is given back
 * through `skipped`, so that another idle worker takes the job at once. A request sent before the pause may still
 * hand a job over.
 */
export function pausedTakesNone(Base: typeof Worker, skipped: () => void): typeof Worker {
  return class PausedTakesNone extends Base {
    protected override moveToActive(token: string, name?: string): Promise<Job> {
      if (!this.paused) return super.moveToActive(token, name);
      skipped();
      // BullMQ's fetch reads a missing job as "none now", as when the queue is empty.
      return Promise.resolve(undefined as unknown as Job);
    }
  };
}
