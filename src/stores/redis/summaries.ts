import type { JobType } from 'bullmq';
import type { Settings } from '../../config/options';
import type { JobTest } from '../../jobs/jobFilter';
import type { JobSnapshot } from '../../jobs/BackgroundJob';
import { redactErrorInfo } from '../../jobs/errorInfo';
import { type JobDetailsData, type JobSummaryData, summaryOf } from '../JobStore';
import type { RedisConnection } from './connection';
import { type JobRead, readJobs } from './reads';
import { snapshotOf, type StoredJob } from './record';

/** A job's summary, with when it was executed, which lists are ordered by. */
interface ListedSummary {
  readonly executedAt: number;
  readonly summary: JobSummaryData;
}

/** Every list of BullMQ's a job of ours can be in. */
const LISTS: JobType[] = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'];

/**
 * Lists the summaries of the jobs in Redis. A finished job's record never changes, so its summary is read once and
 * kept while the job is in history: a list reads the ids, then the rest.
 */
export class JobSummaries {
  readonly #settings: Settings;
  readonly #connection: RedisConnection;
  /** Summaries of finished jobs read by a list, by UUID: the next list reads only the others. */
  #finished = new Map<string, ListedSummary>();

  constructor(settings: Settings, connection: RedisConnection) {
    this.#settings = settings;
    this.#connection = connection;
  }

  /** The summaries of the jobs that pass `matches`, in the order executed. */
  async list(matches: JobTest): Promise<JobSummaryData[]> {
    const { redis, queue, keyPrefix } = this.#connection;
    const ids = await queue.getRanges(LISTS, 0, -1);
    const finished = new Map<string, ListedSummary>();
    const listed: ListedSummary[] = [];
    const unread: JobRead[] = [];
    for (const id of ids) {
      const known = this.#finished.get(id);
      if (known === undefined) unread.push({ id, firstLog: 0, lastLog: -1 });
      else finished.set(id, known);
    }
    for (const stored of await readJobs(redis, keyPrefix, unread, 'summary')) {
      const entry = { executedAt: stored.header.executedAt, summary: storedSummary(stored, this.#settings) };
      if (stored.fields.finishedOn === undefined) listed.push(entry);
      else finished.set(stored.id, entry);
    }
    this.#finished = finished; // those that left the history go
    return [...listed, ...finished.values()]
      .sort((a, b) => a.executedAt - b.executedAt)
      .map(({ summary }) => summary)
      .filter(matches);
  }

  /** Forgets the finished jobs: history was cleared. */
  clearFinished(): void {
    this.#finished.clear();
  }
}

/** What the dashboard lists of a stored job. */
export function storedSummary(stored: StoredJob, settings: Pick<Settings, 'handlersPath'>): JobSummaryData {
  return summaryFrom(stored, snapshotOf(stored, settings), settings);
}

/** What the dashboard details of a stored job, read with a page of its messages. */
export function storedDetails(stored: StoredJob, settings: Pick<Settings, 'handlersPath'>): JobDetailsData {
  const snapshot = snapshotOf(stored, settings);
  return { ...summaryFrom(stored, snapshot, settings), result: snapshot.result, messages: snapshot.messages };
}

function summaryFrom(
  { id, header, logCount }: StoredJob,
  snapshot: JobSnapshot,
  { handlersPath }: Pick<Settings, 'handlersPath'>,
): JobSummaryData {
  const publicErrorInfo = snapshot.errorInfo && redactErrorInfo(snapshot.errorInfo, handlersPath);
  const attemptErrors = snapshot.attemptErrors ?? [];
  return summaryOf(
    {
      ...header,
      ...snapshot,
      uuid: id,
      scheduledJob: header.scheduledJob,
      userName: header.scheduledJob?.userName,
      owner: header.owner,
      publicErrorInfo,
      attempt: attemptErrors.length + 1,
      publicAttemptErrors: attemptErrors.map((info) => redactErrorInfo(info, handlersPath)),
    },
    logCount,
  );
}
