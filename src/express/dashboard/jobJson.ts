import path from 'node:path';
import type { BackgroundJob } from '../../jobs/BackgroundJob';
import { type ErrorInfo, relativeInside } from '../../jobs/errorInfo';

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
  };
}

export function jobDetails(job: BackgroundJob, handlersPath: string): JobDetails {
  return {
    ...jobSummary(job),
    messages: job.getUserMessages().map(({ text, date }) => ({ text, date: date.toISOString() })),
    result: toJson(job.result, new Set()),
    errorInfo: job.errorInfo ? redactErrorInfo(job.errorInfo, handlersPath) : null,
  };
}

const HIDDEN = '(outside the handlers folder)';

/**
 * The dashboard shows where a handler failed but no path outside the handlers folder: handler files appear
 * relative to it, every other file (the application's, node_modules) is hidden.
 */
function redactErrorInfo(info: ErrorInfo, handlersPath: string): ErrorInfo {
  const inside = (file: string): string | undefined => relativeInside(handlersPath, file);
  const moduleName = path.isAbsolute(info.moduleName) ? (inside(info.moduleName) ?? HIDDEN) : info.moduleName;
  const stack = info.stack
    .split('\n')
    .map((line) =>
      line.replace(
        /\(?((?:file:\/\/)?(?:\/|[A-Za-z]:\\)[^():]*)(:\d+:\d+)\)?$/,
        (frame, file: string, at: string) => {
          const relative = inside(file.replace(/^file:\/\//, ''));
          if (relative === undefined) return HIDDEN;
          return frame.startsWith('(') ? `(${relative}${at})` : `${relative}${at}`;
        },
      ),
    )
    .join('\n');
  return {
    ...info,
    moduleName,
    detailedDescription: info.detailedDescription.split(info.moduleName).join(moduleName),
    stack,
    ...(info.cause && { cause: redactErrorInfo(info.cause, handlersPath) }),
  };
}

/** Any result as JSON: bigints as text, Maps and Sets as arrays, cycles cut, so a response never fails on it. */
function toJson(value: unknown, seen: Set<unknown>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Map) return [...value].map(([k, v]) => [toJson(k, seen), toJson(v, seen)]);
    if (value instanceof Set || Array.isArray(value)) return [...value].map((item) => toJson(item, seen));
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, seen)]));
  } finally {
    seen.delete(value);
  }
}
