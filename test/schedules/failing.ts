import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BackgroundJobsManager, ScheduledJob, ScheduledJobInit } from 'web-background-jobs';
import { tempDir } from '../helpers';

// Scheduled runs that fail, for the retry tests in memory and on a shared Redis.

/** A cron schedule that fires once, `seconds` from now (and again in a year). */
export function onceIn(seconds: number): { cron: string; timezone: string } {
  const at = new Date(Date.now() + seconds * 1000);
  return {
    cron: `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`,
    timezone: 'UTC',
  };
}

/** The runs `Scheduled.FailTimes` has logged into `file`, one UUID a line. */
export function logged(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

/** Writes a scheduled job of `Scheduled.FailTimes(file, failures)` that fires once, 3 s from now. */
export async function failingOnce(
  manager: BackgroundJobsManager,
  failures: number,
  retries: Pick<ScheduledJobInit, 'restartCountOnFailure' | 'restartIntervalOnFailure'>,
): Promise<{ scheduled: ScheduledJob; file: string }> {
  const file = path.join(tempDir(), 'runs');
  const scheduled = manager.scheduledJobs.create({
    name: 'Flaky',
    methodName: 'Scheduled.FailTimes',
    params: [file, failures],
    schedule: onceIn(3),
    ...retries,
  });
  await scheduled.write();
  return { scheduled, file };
}
