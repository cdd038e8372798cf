import type { QueueEvents } from 'bullmq';
import type { Settings } from '../../config/options';
import type { BackgroundJob } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import type { StoreContext } from '../JobStore';
import { buildJob, type JobHooks } from '../buildJob';
import type { RedisConnection } from './connection';
import { type JobRead, pipelinePerJob, readJobs } from './reads';
import {
  beginOf,
  decodeFailure,
  type JobHeader,
  snapshotFromEvent,
  storedBegin,
  snapshotOf,
  type StoredJob,
  type StoredResult,
} from './record';

/** What a `completed` or `failed` event says of how a job ended. */
type Ending = { returnvalue?: unknown; failedReason?: string };

/**
 * The **local jobs** of a Redis store: the `BackgroundJob` objects this process hands to callers for jobs held in
 * Redis, one per job, brought up to date from Redis (QueueEvents, reads, the re-check) until their jobs end. Finding
 * a job again gives the same object; finished ones are kept up to the history size.
 */
export class LocalJobs {
  readonly #settings: Settings;
  readonly #connection: RedisConnection;
  readonly #scheduledJobFrom: StoreContext['scheduledJobFrom'];
  readonly #cancel: (job: BackgroundJob) => Promise<void>;
  /** Local jobs of active jobs, kept up to date until they finish. */
  readonly #active = new Map<string, BackgroundJob>();
  /** Local jobs of finished jobs, so that finding one again gives the same object; the oldest beyond history go. */
  readonly #finished = new Map<string, BackgroundJob>();
  /** What every local job tells: one object for them all, as its hooks are told which job it is. */
  readonly #hooks: JobHooks = {
    onFinish: (finished) => this.#remember(finished),
    onCancel: (job) => this.#cancel(job),
  };

  /** `cancel` decides the cancel of a local job, through Redis. */
  constructor(
    settings: Settings,
    connection: RedisConnection,
    scheduledJobFrom: StoreContext['scheduledJobFrom'],
    cancel: (job: BackgroundJob) => Promise<void>,
  ) {
    this.#settings = settings;
    this.#connection = connection;
    this.#scheduledJobFrom = scheduledJobFrom;
    this.#cancel = cancel;
  }

  /** The local job of an active job, if this process handed one out. */
  active(uuid: string): BackgroundJob | undefined {
    return this.#active.get(uuid);
  }

  /** The jobs with an active local job here. */
  activeIds(): string[] {
    return [...this.#active.keys()];
  }

  /** The local job of a finished job still in this process's history. */
  finished(uuid: string): BackgroundJob | undefined {
    return this.#finished.get(uuid);
  }

  /** The local job of a job: the one handed out already, else a new one, active until told otherwise. */
  of(uuid: string, header: JobHeader): BackgroundJob {
    let local = this.#active.get(uuid) ?? this.#finished.get(uuid);
    if (local === undefined) {
      const scheduledJob = header.scheduledJob && this.#scheduledJobFrom(header.scheduledJob);
      local = buildJob(uuid, { ...header, scheduledJob }, this.#settings.handlersPath, this.#hooks);
      scheduledJob?.recordRun(local);
      this.#active.set(uuid, local);
    }
    return local;
  }

  /** The local job of a stored job, brought up to date with what was read. */
  fromStored(stored: StoredJob): BackgroundJob {
    const local = this.of(stored.id, stored.header);
    local.sync(snapshotOf(stored, this.#settings));
    return local;
  }

  /** Drops the local job of a job that never made it into Redis, or that was deleted from history. */
  forget(uuid: string): void {
    this.#active.delete(uuid);
    this.#finished.delete(uuid);
  }

  /** Forgets the finished jobs: history was cleared. */
  clearFinished(): void {
    this.#finished.clear();
  }

  #remember(finished: BackgroundJob): void {
    this.#active.delete(finished.uuid);
    this.#finished.set(finished.uuid, finished);
    for (const uuid of this.#finished.keys()) {
      if (this.#finished.size <= this.#settings.historySize) break;
      this.#finished.delete(uuid);
    }
  }

  /**
   * The jobs with these ids that still exist, in one round trip, without their params: in full, but for the
   * messages a local job here has already (a job's messages only ever grow), so a refresh reads the new ones.
   */
  read(ids: readonly string[]): Promise<StoredJob[]> {
    const reads = ids.map((id): JobRead => {
      const local = this.#active.get(id) ?? this.#finished.get(id);
      return { id, firstLog: local?.messagesReported ?? 0, lastLog: -1 };
    });
    return readJobs(this.#connection.redis, this.#connection.keyPrefix, reads, 'full');
  }

  /** Re-reads the listed jobs that have an active local job here and brings those up to date. */
  async refresh(ids: readonly string[]): Promise<void> {
    const held = ids.filter((id) => this.#active.has(id));
    if (held.length === 0) return;
    try {
      for (const stored of await this.read(held))
        this.#active.get(stored.id)?.sync(snapshotOf(stored, this.#settings));
    } catch {
      // Redis is away: the outage is logged once, and the next re-check tries again.
    }
  }

  /** Keeps the local jobs up to date from QueueEvents. */
  follow(events: QueueEvents): void {
    events.on('completed', ({ jobId, returnvalue }) => this.#ended(jobId, { returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => this.#ended(jobId, { failedReason }));
    events.on('active', ({ jobId }) => {
      const local = this.#active.get(jobId);
      if (local !== undefined && local.begin === undefined) void this.#beginSoon(jobId); // not taken here (yet)
    });
    events.on('progress', ({ jobId }) => void this.#refreshSoon(jobId));
    // A failed attempt that runs again goes back to wait, or waits its backoff: begun here, it has no begin now.
    const retried = ({ jobId }: { jobId: string }): void => {
      if (this.#active.get(jobId)?.begin !== undefined) void this.#refreshSoon(jobId);
    };
    events.on('delayed', retried);
    events.on('waiting', retried);
  }

  /** Refreshes a local job, in one round trip with every other refresh asked for in the same turn. */
  readonly #refreshSoon = batched((ids) => this.refresh(ids));
  /**
   * Sets `begin` on the local job of a job a worker has just taken: one field, read in batches, a turn later. The
   * worker here tells its own jobs' begins as BullMQ hands them over, most often within the turn that read the event.
   */
  readonly #beginSoon = batched(async (ids) => {
    const waiting = ids.filter((id) => this.#active.has(id) && this.#active.get(id)!.begin === undefined);
    const { redis, queue } = this.#connection;
    const replies = await pipelinePerJob(redis, waiting, (pipeline, id) =>
      pipeline.hmget(queue.toKey(id), 'processedOn', 'ats', 'atm'),
    ).catch(() => []); // Redis away: the re-check catches up
    waiting.forEach((id, index) => {
      const [error, fields] = replies[index]?.[0] ?? [];
      const [processedOn, attemptsStarted, attemptsMade] = ((fields ?? []) as (string | null)[]).map(
        (field) => field ?? undefined,
      );
      const local = this.#active.get(id);
      // Handed straight back by a closing worker, it waits again; ended meanwhile, its end's read says its begin.
      const begin = storedBegin({ processedOn, attemptsStarted, attemptsMade });
      if (error || begin === undefined || local?.state !== BackgroundJobState.Active || local.begin) return;
      local.markStarted(new Date(begin));
    });
  });

  /**
   * A job ended. A job that completed or failed without messages is ended from the event alone; otherwise its
   * record is read for messages and times, and when history keeps none (`jobsHistorySize` 0) the event says how it ended.
   */
  #ended(jobId: string, ending: Ending): void {
    const local = this.#active.get(jobId);
    if (local === undefined) return;
    // Ended from the event alone when it says all there is, so local jobs end in the order their jobs did.
    const ended = snapshotFromEvent(local.begin, ending, jobId, this.#settings.handlersPath);
    if (ended) return local.sync(ended);
    void this.#endedFromRecord(jobId, local, ending);
  }

  /** {@link LocalJobs.#ended} for a job whose event does not say all: its record is read. */
  async #endedFromRecord(jobId: string, local: BackgroundJob, ending: Ending): Promise<void> {
    await this.#refreshSoon(jobId);
    if (local.state !== BackgroundJobState.Active) return;
    const gone = await this.read([jobId])
      .then(([stored]) => stored === undefined)
      .catch(() => false);
    if (!gone) return;
    const known = { progress: local.progress, result: undefined, errorInfo: undefined };
    if (ending.failedReason === undefined) {
      const returned = ending.returnvalue as Partial<StoredResult> | null | undefined;
      const end = new Date(returned?.end ?? Date.now());
      const begin = beginOf(local.begin, returned);
      local.sync({ ...known, begin, state: BackgroundJobState.Completed, end, result: returned?.result });
    } else {
      const { state, errorInfo, facts } = decodeFailure(
        ending.failedReason,
        jobId,
        this.#settings.handlersPath,
      );
      const end = new Date(facts?.end ?? Date.now());
      local.sync({ ...known, begin: beginOf(local.begin, facts), state, errorInfo, end });
    }
  }
}

/**
 * Gathers the ids asked for in one turn of the event loop and hands them to `flush` together: QueueEvents delivers
 * events in batches, and a batch then costs one round trip instead of one per job.
 */
function batched(flush: (ids: string[]) => Promise<void>): (id: string) => Promise<void> {
  let pending: { ids: Set<string>; done: Promise<void> } | undefined;
  return (id) => {
    if (pending === undefined) {
      const ids = new Set<string>();
      const done = new Promise<void>((resolve) =>
        setImmediate(() => {
          pending = undefined;
          void flush([...ids]).then(resolve, resolve);
        }),
      );
      pending = { ids, done };
    }
    pending.ids.add(id);
    return pending.done;
  };
}
