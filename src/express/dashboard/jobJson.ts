import type { BackgroundJob } from '../../jobs/BackgroundJob';
import type { ErrorInfo } from '../../jobs/errorInfo';
import { jsonValue } from '../../jobs/jsonValue';

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
}

/** A job with everything the details view shows. */
export interface JobDetails extends JobSummary {
  messages: { text: string; date: string }[];
  result: unknown;
  errorInfo: ErrorInfo | null;
}

export function jobSummary(job: BackgroundJob): JobSummary {
  // From the getters, not toJSON(): a list row has no use for a copy of the job's messages.
  const { uuid, methodName, key, description, state, begin, end, progress, publicErrorInfo } = job;
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
    error: publicErrorInfo?.description ?? null,
    scheduledJob: job.scheduledJob?.name ?? null,
  };
}

/** The job's details as job.toJSON() sends them: the same JSON-safe result and path-free errorInfo. */
export function jobDetails(job: BackgroundJob): JobDetails {
  return {
    ...jobSummary(job),
    messages: job.getUserMessages().map(({ text, date }) => ({ text, date: date.toISOString() })),
    result: jsonValue(job.result) ?? null,
    errorInfo: job.publicErrorInfo ?? null,
  };
}
