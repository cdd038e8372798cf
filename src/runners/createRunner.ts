import type { LogFields } from '../config/logWriter';
import type { Settings } from '../config/options';
import { InlineRunner } from './InlineRunner';
import type { JobRunner } from './JobRunner';
import { ThreadRunner } from './ThreadRunner';

/**
 * The runner `settings` ask for: the one place that maps an isolation to where handlers run. Every store's
 * `JobExecutor` makes one; the store does not choose, and a job runs the same way in each.
 */
export function createRunner(
  settings: Settings,
  logError: (line: string, error: unknown, fields?: LogFields) => void,
): JobRunner {
  return settings.isolation === 'thread'
    ? new ThreadRunner(settings, logError)
    : new InlineRunner(settings.handlersPath);
}
