// How a job is built: what the manager's store or runner knows of it when it registers it, and the hooks through
// which the job reports back to them. Only code holding BUILT_BY_MANAGER builds one: users get jobs from execute().
import type { BackgroundJob, BUILT_BY_MANAGER } from './BackgroundJob';
import type { ErrorInfo } from './errorInfo';
import type { JobReport } from './jobReports';
import type { ScheduledJob } from '../schedules/ScheduledJob';

/** @internal What the manager knows of a job when it registers it. */
export interface JobInit {
  readonly builtBy: typeof BUILT_BY_MANAGER;
  readonly uuid: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  /** The scheduled job whose run this is. */
  readonly scheduledJob?: ScheduledJob;
  /** The user it runs for, where no `scheduledJob` tells it (a worker thread's copy of a run). */
  readonly userName?: string;
  /** The errors of the job's failed attempts before the one this object runs (a Redis worker's or a thread's copy). */
  readonly attemptErrors?: readonly ErrorInfo[];
  /** Who the job belongs to (execute's `owner`); `undefined` when none. */
  readonly owner?: string;
  /** The handlers folder, which {@link BackgroundJob.toJSON} shows paths relative to. */
  readonly handlersPath: string;
  /** Called once, when the job leaves `Active`. */
  readonly onFinish: (job: BackgroundJob) => void;
  /**
   * Given to a job held in a shared store, whose cancel is decided there: settles once the store has decided, and
   * has brought this object up to date with {@link BackgroundJob.sync}.
   */
  readonly onCancel?: (job: BackgroundJob) => Promise<void>;
  /** Passes each report, once recorded, on to the store (a shared store stores it; every store emits its event). */
  readonly onReport?: (report: JobReport, job: BackgroundJob) => void;
  /** The job that started this one from its handler, then that job's starter, and so on: their UUIDs, nearest first. */
  readonly ancestors?: readonly string[];
  /**
   * Given to a view of a job in a worker thread: waits (up to `timeoutMs`) for the jobs of `views` where they run,
   * on the main thread, and brings the views up to date; a view's own waits go there instead of waiting on a copy.
   */
  readonly settleElsewhere?: SettleElsewhere;
}

/** @internal How the waits of job views in a worker thread are answered by the main thread. */
export type SettleElsewhere = (
  views: readonly BackgroundJob[],
  timeoutMs: number | undefined,
) => Promise<void>;
