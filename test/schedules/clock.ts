import path from 'node:path';
import type { BackgroundJobsManager } from 'web-background-jobs';
import { eventually, tempDir } from '../helpers';
import { logged } from './failing';

// A clock made of a scheduled job, for the tests that show something does not happen (a stopped schedule, a retry
// that must not come): instead of sleeping for a time, they wait until ticks of the same schedule store have fired
// and their runs have started, in memory (timers) as on Redis (BullMQ job schedulers).

/** Waits until the clock has run `count` more times. */
export type Ticks = (count: number) => Promise<void>;

/** Starts a clock in `manager`: a scheduled job that appends a line to a file of its own every second. */
export async function startClock(manager: BackgroundJobsManager): Promise<Ticks> {
  const file = path.join(tempDir(), 'clock');
  await manager.scheduledJobs
    .create({ name: 'Clock', methodName: 'Jobs.Append', params: [file], schedule: { cron: '* * * * * *' } })
    .write();
  return async (count) => {
    const seen = logged(file).length;
    await eventually(
      () => expect(logged(file).length).toBeGreaterThanOrEqual(seen + count),
      6000 + count * 1000,
    );
  };
}
