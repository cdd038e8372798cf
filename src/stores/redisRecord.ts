import type { Settings } from '../config/options';
import { BackgroundJobsError } from '../errors';
import type { JobProgress, JobSnapshot, UserMessage } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { type ErrorInfo, errorInfoFrom, reviveErrorInfo } from '../jobs/errorInfo';

/** What a BullMQ job of this library carries as its data. */
export interface JobData {
  readonly methodName: string;
  readonly params: unknown[];
  readonly key: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  /** When execute ran (ms, sub-millisecond), for listing jobs in the order executed. */
  readonly executedAt: number;
}

/**
 * What our worker returns to BullMQ for a completed job: the result, and enough for the `completed` event to end
 * a copy without reading the job back (the common case: no messages).
 */
export interface StoredResult {
  readonly result?: unknown;
  /** When the handler's job ended (ms): the job's `end` everywhere, event or record. */
  readonly end: number;
  /** How many messages the job reported. */
  readonly messages: number;
  readonly progress?: unknown;
}

/** A BullMQ job of this library as read from Redis, with its log (our user messages) and its end's decision. */
export interface StoredJob {
  readonly id: string;
  readonly data: JobData;
  /** BullMQ's job hash as stored: `processedOn`, `finishedOn`, `failedReason`, `returnvalue`, `progress`… */
  readonly fields: Readonly<Record<string, string | undefined>>;
  readonly logs: readonly string[];
  /** `canceled:<ms>` once a cancel won, `finished` once its worker did, `null` before. */
  readonly decision: string | null;
}

/** BullMQ's `failedReason` for a job whose worker stopped renewing its lock (`maxStalledCount` 0). */
const STALLED_REASON = 'job stalled more than allowable limit';

/** The mark our failed and cancelled jobs carry as BullMQ's `failedReason`, so other instances read why. */
interface FailureMark extends Partial<FailureFacts> {
  readonly webBackgroundJobs: 'canceled' | 'failed';
  readonly errorInfo?: ErrorInfo;
}

/** What a failed job's mark tells besides its error, so that its `failed` event can end a copy without a read. */
interface FailureFacts {
  /** When the job ended (ms): its `end` everywhere, event or record. */
  readonly end: number;
  /** How many messages it reported. */
  readonly messages: number;
  readonly progress?: unknown;
}

/** The `failedReason` of a job that failed with `errorInfo`, or of a cancelled job. */
export function encodeFailure(ending: ErrorInfo | 'canceled', facts?: FailureFacts): string {
  const mark: FailureMark =
    ending === 'canceled'
      ? { webBackgroundJobs: 'canceled' }
      : { webBackgroundJobs: 'failed', errorInfo: ending, ...facts };
  return JSON.stringify(mark);
}

/** A job that failed without messages, from its `failed` event alone; `undefined` when the event cannot say. */
export function failedSnapshot(
  failedReason: string,
  begin: Date,
  jobId: string,
  handlersPath: string,
): JobSnapshot | undefined {
  const mark = parsed(failedReason) as FailureMark | undefined;
  if (mark?.webBackgroundJobs !== 'failed' || mark.messages !== 0 || typeof mark.end !== 'number')
    return undefined;
  return {
    ...decodeFailure(failedReason, jobId, handlersPath),
    begin,
    end: new Date(mark.end),
    progress: progressOf(mark.progress),
    messages: [],
    result: undefined,
  };
}

/** How a job with this `failedReason` ended: our own marks, BullMQ's lost worker, or anything else as a failure. */
export function decodeFailure(
  failedReason: string,
  jobId: string,
  handlersPath: string,
): Pick<JobSnapshot, 'state' | 'errorInfo'> {
  let mark: FailureMark | undefined;
  try {
    mark = JSON.parse(failedReason) as FailureMark;
  } catch {
    // not ours: BullMQ's own reason, or another producer's
  }
  if (mark?.webBackgroundJobs === 'canceled')
    return { state: BackgroundJobState.Canceled, errorInfo: undefined };
  if (mark?.webBackgroundJobs === 'failed' && mark.errorInfo) {
    return { state: BackgroundJobState.Failed, errorInfo: reviveErrorInfo(mark.errorInfo) };
  }
  const error =
    failedReason === STALLED_REASON
      ? new BackgroundJobsError(
          'WBJ_WORKER_LOST',
          `Background job ${jobId} was lost: the process running it stopped answering (crashed, killed or blocked past jobsLostWorkerSeconds), so it failed and was not run again`,
        )
      : new Error(failedReason);
  error.stack = `${error.name}: ${error.message}`; // raised here, far from the job: a stack would mislead
  return { state: BackgroundJobState.Failed, errorInfo: errorInfoFrom(error, handlersPath) };
}

/** The job's changing part as Redis holds it. */
export function snapshotOf(
  { id, fields, logs, decision }: StoredJob,
  settings: Pick<Settings, 'handlersPath'>,
): JobSnapshot {
  const common = {
    begin: fields.processedOn ? new Date(Number(fields.processedOn)) : undefined,
    progress: storedProgress(fields.progress),
    messages: logs.map(messageOf),
    result: undefined,
    errorInfo: undefined,
  };
  if (fields.finishedOn) {
    const end = new Date(Number(fields.finishedOn));
    if (fields.failedReason) {
      const mark = parsed(fields.failedReason) as FailureMark | undefined;
      const failure = decodeFailure(fields.failedReason, id, settings.handlersPath);
      return { ...common, ...failure, end: typeof mark?.end === 'number' ? new Date(mark.end) : end };
    }
    const returned = parsed(fields.returnvalue) as Partial<StoredResult> | null;
    return {
      ...common,
      state: BackgroundJobState.Completed,
      end: typeof returned?.end === 'number' ? new Date(returned.end) : end,
      result: returned?.result,
    };
  }
  if (decision?.startsWith('canceled:')) {
    return {
      ...common,
      state: BackgroundJobState.Canceled,
      end: new Date(Number(decision.slice('canceled:'.length))),
    };
  }
  return { ...common, state: BackgroundJobState.Active, end: undefined };
}

/** A job that completed without messages, from its `completed` event alone. */
export function completedSnapshot(begin: Date, returned: StoredResult): JobSnapshot {
  return {
    state: BackgroundJobState.Completed,
    begin,
    end: new Date(returned.end),
    progress: progressOf(returned.progress),
    messages: [],
    result: returned.result,
    errorInfo: undefined,
  };
}

function parsed(json: string | undefined): unknown {
  try {
    return json === undefined ? undefined : JSON.parse(json);
  } catch {
    return undefined; // written by another producer
  }
}

/** The progress a job's BullMQ `progress` field holds, if it is ours. */
export function storedProgress(json: string | undefined): JobProgress | undefined {
  return progressOf(parsed(json));
}

function progressOf(progress: unknown): JobProgress | undefined {
  const value = progress as { percent?: unknown; text?: unknown; date?: unknown } | null;
  if (typeof value !== 'object' || value === null || typeof value.percent !== 'number') return undefined;
  return Object.freeze({
    percent: value.percent,
    text: String(value.text ?? ''),
    date: new Date(String(value.date)),
  });
}

function messageOf(line: string): UserMessage {
  try {
    const { text, date } = JSON.parse(line) as { text: string; date: string };
    return Object.freeze({ text: String(text), date: new Date(date) });
  } catch {
    return Object.freeze({ text: line, date: new Date(0) }); // a log line another producer wrote
  }
}
