// A job as plain data: the form a client is sent (toJSON(), the dashboard's summaries) and the changing part a
// shared store holds. The fields a client may see are listed once, in publicFields, so that what toJSON() sends
// and what the dashboard lists cannot drift apart.
import type { BackgroundJobState } from './BackgroundJobState';
import type { ErrorInfo } from './errorInfo';
import type { JobProgress } from './jobReports';
import type { UserMessage } from './UserMessage';

/**
 * A job as plain data: what `JSON.stringify(job)` and `res.json(job)` send (Dates become ISO strings). It is safe
 * to send to a client: `result` is JSON data whatever the handler returned, and `errorInfo` holds no path outside
 * the handlers folder.
 */
export interface BackgroundJobData {
  readonly uuid: string;
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  readonly state: BackgroundJobState;
  readonly begin: Date | undefined;
  readonly end: Date | undefined;
  readonly progress: JobProgress | undefined;
  readonly messages: readonly UserMessage[];
  /**
   * As JSON.stringify takes it without throwing: BigInts as strings, Maps and Sets as arrays, cycles, nesting past
   * 1,000 levels and what comes past about 64 Mi characters replaced by markers (docs/security.md: what toJSON() sends).
   */
  readonly result: unknown;
  /** As the dashboard shows it: handler files relative to the handlers folder, every other path hidden. */
  readonly errorInfo: ErrorInfo | undefined;
  /** The scheduled job that started it, by UUID and name. */
  readonly scheduledJob: { readonly uuid: string; readonly name: string } | undefined;
  /** The user a run of a scheduled job is started for (its `userName`); `undefined` when none. */
  readonly userName: string | undefined;
  /** Who the job belongs to (execute's `owner`); `undefined` when none. */
  readonly owner: string | undefined;
}

/**
 * @internal A job's changing part as a shared store holds it; a local copy is brought up to date with it. Its
 * `messages` may be the newer part only: they start at the job's message number `messagesFrom` (0 when absent).
 */
export type JobSnapshot = Omit<
  BackgroundJobData,
  'uuid' | 'methodName' | 'key' | 'description' | 'scheduledJob' | 'userName' | 'owner'
> & { readonly messagesFrom?: number };

/**
 * @internal What {@link publicFields} reads: a `BackgroundJob`'s members, or those a store read of one (the
 * scheduled job named by its UUID and name at least, `errorInfo` already as a client may see it).
 */
export type PublicJobFields = Omit<
  BackgroundJobData,
  'messages' | 'result' | 'errorInfo' | 'scheduledJob'
> & {
  readonly publicErrorInfo: ErrorInfo | undefined;
  readonly scheduledJob: { readonly uuid: string; readonly name: string } | undefined;
};

/**
 * @internal A job's fields as a client may see them, with `more` after the progress, where toJSON() has always
 * sent the messages and the result: toJSON() adds those, a store's summary the number of messages.
 */
export function publicFields<More extends object>(
  job: PublicJobFields,
  more: More,
): Omit<BackgroundJobData, 'messages' | 'result'> & More {
  return {
    uuid: job.uuid,
    methodName: job.methodName,
    key: job.key,
    description: job.description,
    state: job.state,
    begin: job.begin,
    end: job.end,
    progress: job.progress,
    ...more,
    errorInfo: job.publicErrorInfo,
    scheduledJob: job.scheduledJob && { uuid: job.scheduledJob.uuid, name: job.scheduledJob.name },
    userName: job.userName || undefined,
    owner: job.owner,
  };
}
