import type { LogFields } from '../config/logWriter';
import type { Settings } from '../config/options';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import type { LogError } from '../runners/JobExecutor';
import type { JobEmitter } from '../stores/JobEmitter';
import type { JobRequest } from '../stores/JobStore';

/**
 * @internal What the manager gives its scheduled jobs: the collection (ScheduledJobs.ts), the start-up that saves the
 * declared ones (declareScheduledJobs.ts) and what starts their runs (ScheduledRuns.ts) reach the manager only here.
 */
export interface ScheduledJobsContext {
  readonly settings: Settings;
  readonly resolve: (methodName: string) => Promise<ResolvedHandler>;
  /** Copies a run's parameters as `execute` does, in the form the job store holds. */
  readonly copyParams: (params: readonly unknown[]) => unknown[];
  /** Starts a run as `execute` would, through the job store. */
  readonly start: (request: JobRequest) => BackgroundJob | Promise<BackgroundJob>;
  readonly findJob: (uuid: string) => Promise<BackgroundJob | undefined>;
  readonly logError: LogError;
  readonly warn: (line: string, fields?: LogFields) => void;
  /** The manager's events: runs started and skipped. */
  readonly events: JobEmitter;
}
