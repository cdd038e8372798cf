import type { Settings } from '../../config/options';
import type { ScheduledJobData } from '../../schedules/scheduledJobData';
import type { JobProgress, JobReport, JobSnapshot } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import { type ErrorInfo, reviveErrorInfo } from '../../jobs/errorInfo';
import { receivedMessage, type UserMessage } from '../../jobs/UserMessage';
import { canceledAt } from './endClaim';
import { remoteErrorInfo, workerLost } from './lostErrors';
import type { TraceCarrier } from '../../runners/traceCarrier';

/**
 * A job's fields that never change, as JSON in its BullMQ `name`: a local job is made from them, and lists
 * and filters read them, without reading the job's `data`, whose params may be large.
 */
export interface JobHeader {
  readonly methodName: string;
  readonly key: string;
  readonly description: string;
  /** When execute ran (ms, sub-millisecond), for listing jobs in the order executed. */
  readonly executedAt: number;
  /** The scheduled job whose run this is, as it was when the run started. */
  readonly scheduledJob?: ScheduledJobData;
  /** Who the job belongs to (execute's `owner`); absent when none. */
  readonly owner?: string;
}

/**
 * What a BullMQ job of this library carries as its data, read by the worker that runs it: the header again (as
 * instances of older versions read it) with the params and the time limit.
 */
export interface JobData extends JobHeader {
  readonly params: unknown[];
  readonly timeoutSeconds: number;
  /** The jobs that started it from their handlers, nearest first (absent when none). */
  readonly ancestors?: readonly string[];
  /** The trace context active at execute (W3C traceparent…), the parent of the job's span where it runs (absent when none). */
  readonly trace?: TraceCarrier;
  /** When a cancel claimed the job's end while it was queued (ms): written by the cancel (see endClaim.ts). */
  readonly canceledAt?: number;
}

/**
 * What our worker stores with a job's end, in its return value or its failure mark: enough for the `completed`
 * or `failed` event to end a local job without reading the job back (the common case: no messages).
 */
export interface EndFacts {
  /**
   * When the attempt that ended it began (ms): its `begin` with no read, when its record may be gone already
   * (`jobsHistorySize` 0). Absent from the ends of jobs stored before it was.
   */
  readonly begin?: number;
  /** When the job ended (ms): its `end` everywhere, event or record. */
  readonly end: number;
  /** How many messages the job reported. */
  readonly messages: number;
  readonly progress?: unknown;
  /** The attempt that ended it, when over 1: its earlier attempts' errors are read from the record then. */
  readonly attempt?: number;
}

/** What our worker returns to BullMQ for a completed job. */
export interface StoredResult extends EndFacts {
  readonly result?: unknown;
}

/** The fields of BullMQ's job hash a job's state is read from. */
export interface JobFields {
  readonly processedOn?: string;
  readonly finishedOn?: string;
  readonly failedReason?: string;
  readonly progress?: string;
  /** In a summary read, a completed job's return value without its result: our worker's end facts alone. */
  readonly returnvalue?: string;
  /** BullMQ's count of the attempts started (`ats`) and ended (`atm`): an attempt runs while more started. */
  readonly attemptsStarted?: string;
  readonly attemptsMade?: string;
  /** BullMQ's stack of each failure, JSON: our worker's failure marks, one per failed attempt. */
  readonly stacktrace?: string;
}

/** A BullMQ job of this library as read from Redis (see reads.ts), with part of its log and its end claim. */
export interface StoredJob {
  readonly id: string;
  readonly header: JobHeader;
  readonly fields: JobFields;
  /** How many entries its log (our user messages) has. */
  readonly logCount: number;
  /** The entries read, from entry number `logsFrom` on. */
  readonly logs: readonly string[];
  readonly logsFrom: number;
  /** Its end claim (see endClaim.ts): `null` while neither a cancel nor its worker has claimed its end. */
  readonly endClaim: string | null;
}

/** BullMQ's `failedReason` for a job whose worker stopped renewing its lock (`maxStalledCount` 0). */
const STALLED_REASON = 'job stalled more than allowable limit';

/** The mark our failed and cancelled jobs carry as BullMQ's `failedReason`, so other instances read why. */
interface FailureMark extends Partial<EndFacts> {
  readonly webBackgroundJobs: 'canceled' | 'failed';
  readonly errorInfo?: ErrorInfo;
}

/**
 * What our worker throws to BullMQ for a job's failure or cancel: the mark as its message (BullMQ's `failedReason`)
 * and as its stack, which BullMQ keeps for each failed attempt (`stacktrace`). A cancel is unrecoverable: BullMQ
 * never retries it.
 */
export function failureError(ending: ErrorInfo | 'canceled', facts?: EndFacts): Error {
  const mark = encodeFailure(ending, facts);
  const error = new Error(mark);
  error.stack = mark;
  if (ending === 'canceled') error.name = 'UnrecoverableError'; // BullMQ's test of its UnrecoverableError
  return error;
}

/** The `failedReason` of a job that failed with `errorInfo`, or of a cancelled job. */
export function encodeFailure(ending: ErrorInfo | 'canceled', facts?: EndFacts): string {
  const mark: FailureMark =
    ending === 'canceled'
      ? { webBackgroundJobs: 'canceled' }
      : { webBackgroundJobs: 'failed', errorInfo: ending, ...facts };
  return JSON.stringify(mark);
}

/** How a job ended, as its `failedReason` says; `facts` when our worker stored them with the failure. */
interface Failure extends Pick<JobSnapshot, 'state' | 'errorInfo'> {
  readonly facts?: Partial<EndFacts>;
}

/** How a job with this `failedReason` ended: our own marks, BullMQ's lost worker, or anything else as a failure. */
export function decodeFailure(failedReason: string, jobId: string, handlersPath: string): Failure {
  const mark = parsed(failedReason) as FailureMark | undefined; // not ours: BullMQ's own reason, or another's
  if (mark?.webBackgroundJobs === 'canceled')
    return { state: BackgroundJobState.Canceled, errorInfo: undefined };
  if (mark?.webBackgroundJobs === 'failed' && mark.errorInfo) {
    return { state: BackgroundJobState.Failed, errorInfo: reviveErrorInfo(mark.errorInfo), facts: mark };
  }
  const error = failedReason === STALLED_REASON ? workerLost(jobId) : new Error(failedReason);
  return { state: BackgroundJobState.Failed, errorInfo: remoteErrorInfo(error, handlersPath) };
}

/**
 * The errors of a job's failed attempts before its current or last one: as many of BullMQ's stacks as attempts
 * ended (`atm`) before that one (a cancel of a job waiting for a retry counts as its attempt too, see changeLog.ts).
 */
function storedAttemptErrors(id: string, fields: JobFields, handlersPath: string): ErrorInfo[] {
  const failed = Number(fields.attemptsMade ?? 0) - (fields.finishedOn ? 1 : 0);
  return failed > 0 ? attemptErrorsOf(id, parsed(fields.stacktrace), failed, handlersPath) : [];
}

/** The errors of a job's `failed` first attempts, from BullMQ's `stacktrace` (our worker's failure marks). */
export function attemptErrorsOf(
  id: string,
  stacks: unknown,
  failed: number,
  handlersPath: string,
): ErrorInfo[] {
  if (!Array.isArray(stacks)) return [];
  return stacks.slice(0, failed).flatMap((stack) => {
    const { errorInfo } = decodeFailure(String(stack), id, handlersPath);
    return errorInfo === undefined ? [] : [errorInfo];
  });
}

/** The fields a job's begin is read from. */
type BeginFields = Pick<JobFields, 'processedOn' | 'finishedOn' | 'attemptsStarted' | 'attemptsMade'>;

/**
 * When the job's current attempt began (ms), as its record says: while it runs (more attempts started than made,
 * BullMQ's `ats` and `atm`) or once it ended. Between attempts, and once a job is handed back untouched, BullMQ keeps
 * the last processedOn, but the job waits: it has no begin.
 */
export function storedBegin(fields: BeginFields): number | undefined {
  const { processedOn, finishedOn, attemptsStarted, attemptsMade } = fields;
  const running = Number(attemptsStarted ?? 0) > Number(attemptsMade ?? 0);
  return processedOn && (running || finishedOn) ? Number(processedOn) : undefined;
}

/** The job's changing part as Redis holds it, with the messages read. */
export function snapshotOf(
  { id, fields, logs, logsFrom, endClaim }: StoredJob,
  settings: Pick<Settings, 'handlersPath'>,
): JobSnapshot {
  const begin = storedBegin(fields);
  const common = {
    begin: begin === undefined ? undefined : new Date(begin),
    attemptErrors: storedAttemptErrors(id, fields, settings.handlersPath),
    progress: storedProgress(fields.progress),
    messages: logs.map(messageOf),
    messagesFrom: logsFrom,
    result: undefined,
    errorInfo: undefined,
  };
  if (fields.finishedOn) {
    const end = new Date(Number(fields.finishedOn));
    // A job completed after a failed attempt keeps that attempt's failedReason: its return value tells it apart.
    if (fields.failedReason && fields.returnvalue === undefined) {
      const { state, errorInfo, facts } = decodeFailure(fields.failedReason, id, settings.handlersPath);
      return { ...common, state, errorInfo, end: typeof facts?.end === 'number' ? new Date(facts.end) : end };
    }
    const returned = parsed(fields.returnvalue) as Partial<StoredResult> | null;
    return {
      ...common,
      state: BackgroundJobState.Completed,
      end: typeof returned?.end === 'number' ? new Date(returned.end) : end,
      result: returned?.result,
    };
  }
  const canceled = canceledAt(endClaim);
  if (canceled !== undefined)
    return { ...common, state: BackgroundJobState.Canceled, end: new Date(canceled) };
  return { ...common, state: BackgroundJobState.Active, end: undefined };
}

/**
 * How a job ended, from its `completed` or `failed` event alone, with `begin` as a local job knows it, else as the
 * end says it; `undefined` when the event cannot say it all (the job reported messages, it was not ended by our
 * worker, or neither knows its begin).
 */
export function snapshotFromEvent(
  begin: Date | undefined,
  ending: { readonly returnvalue?: unknown; readonly failedReason?: string },
  jobId: string,
  handlersPath: string,
): JobSnapshot | undefined {
  const returned = ending.returnvalue as Partial<StoredResult> | null | undefined;
  const failure =
    ending.failedReason === undefined ? undefined : decodeFailure(ending.failedReason, jobId, handlersPath);
  const facts = failure === undefined ? returned : failure.facts;
  if (facts?.messages !== 0 || typeof facts.end !== 'number' || facts.attempt !== undefined) return undefined;
  const begun = beginOf(begin, facts);
  if (begun === undefined) return undefined;
  return {
    state: failure?.state ?? BackgroundJobState.Completed,
    begin: begun,
    end: new Date(facts.end),
    progress: progressOf(facts.progress),
    messages: [],
    result: failure === undefined ? returned?.result : undefined,
    errorInfo: failure?.errorInfo,
  };
}

/**
 * A job's begin once it ended, without reading its record: as its local job knows it, else as its end facts say it
 * (our worker stores it with them, for a record that history may already have removed).
 */
export function beginOf(
  localBegin: Date | undefined,
  facts: Partial<EndFacts> | null | undefined,
): Date | undefined {
  return localBegin ?? (typeof facts?.begin === 'number' ? new Date(facts.begin) : undefined);
}

/** The value JSON text `json` holds; `undefined` for none, or for text that is not JSON. */
export function parsed(json: string | null | undefined): unknown {
  try {
    return json == null ? undefined : JSON.parse(json);
  } catch {
    return undefined; // written by another producer
  }
}

/** The progress a job's BullMQ `progress` field holds, if it is ours. */
export function storedProgress(json: string | undefined): JobProgress | undefined {
  return progressOf(parsed(json));
}

/** The progress a job's BullMQ progress holds (parsed), if it is ours. */
export function progressOf(progress: unknown): JobProgress | undefined {
  const value = progress as { percent?: unknown; text?: unknown; date?: unknown } | null;
  if (typeof value !== 'object' || value === null || typeof value.percent !== 'number') return undefined;
  return Object.freeze({
    percent: value.percent,
    text: String(value.text ?? ''),
    date: new Date(String(value.date)),
  });
}

/** A user message as a line of its job's BullMQ log: its fields (those not given are left out) and date. */
export function messageLine({
  text,
  field,
  dataPath,
  dataKey,
  targetId,
  date,
}: JobReport & { kind: 'message' }): string {
  return JSON.stringify({ text, field, dataPath, dataKey, targetId, date });
}

/** A log line read back as a message; a record written before messages had fields, or by another producer, too. */
export function messageOf(line: string): UserMessage {
  const stored = parsed(line) as Record<string, unknown> | null;
  if (typeof stored !== 'object' || stored === null || !('text' in stored)) {
    return receivedMessage({ text: line }, new Date(0)); // a log line another producer wrote
  }
  const text = (name: string): string | undefined =>
    typeof stored[name] === 'string' ? (stored[name] as string) : undefined;
  const { dataKey } = stored;
  return receivedMessage(
    {
      text: String(stored.text),
      field: text('field'),
      dataPath: text('dataPath'),
      dataKey:
        typeof dataKey === 'string' || Number.isFinite(dataKey) ? (dataKey as string | number) : undefined,
      targetId: text('targetId'),
    },
    new Date(String(stored.date)),
  );
}
