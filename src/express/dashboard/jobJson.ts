import type { ErrorInfo } from '../../jobs/errorInfo';
import { jsonValue } from '../../jobs/jsonValue';
import type { UserMessageFields } from '../../jobs/UserMessage';
import type { JobDetailsData, JobSummaryData, MessagePage } from '../../stores/JobStore';

/** A job as the dashboard's list shows it. */
export interface JobSummary {
  uuid: string;
  methodName: string;
  key: string;
  description: string;
  state: string;
  begin: string | null;
  end: string | null;
  /** From begin to end, or to now while running; `null` while queued. */
  durationMs: number | null;
  progress: { percent: number; text: string; date: string } | null;
  /** The error's description when the job failed. */
  error: string | null;
  /** The name of the scheduled job it is a run of. */
  scheduledJob: string | null;
  /** The user a run of a scheduled job is started for. */
  userName: string | null;
  /** Who the job belongs to (execute's `owner`). */
  owner: string | null;
}

/** A job with everything the details view shows, and one page of its messages. */
export interface JobDetails extends JobSummary {
  /** Oldest first: the newest `messagesLimit` of them, skipping the newest `messagesOffset`. */
  messages: (UserMessageFields & { date: string })[];
  /** How many messages the job has. */
  messagesTotal: number;
  messagesOffset: number;
  messagesLimit: number;
  result: unknown;
  errorInfo: ErrorInfo | null;
}

export function jobSummary(job: Omit<JobSummaryData, 'messagesTotal'>): JobSummary {
  const { uuid, methodName, key, description, state, begin, end, progress, errorInfo } = job;
  return {
    uuid,
    methodName,
    key,
    description,
    state,
    begin: begin?.toISOString() ?? null,
    end: end?.toISOString() ?? null,
    durationMs: begin ? (end ?? new Date()).getTime() - begin.getTime() : null,
    progress: progress ? { ...progress, date: progress.date.toISOString() } : null,
    error: errorInfo?.description ?? null,
    scheduledJob: job.scheduledJob?.name ?? null,
    userName: job.userName ?? null,
    owner: job.owner ?? null,
  };
}

/** The job's details as job.toJSON() sends them (the same JSON-safe result and path-free errorInfo), with a page of messages. */
export function jobDetails(job: JobDetailsData, page: MessagePage): JobDetails {
  return {
    ...jobSummary(job),
    messages: job.messages.map((message) => ({ ...message.toJSON(), date: message.date.toISOString() })),
    messagesTotal: job.messagesTotal,
    messagesOffset: page.offset,
    messagesLimit: page.limit,
    result: jsonValue(job.result) ?? null,
    errorInfo: job.errorInfo ?? null,
  };
}
