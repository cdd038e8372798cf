import type { Settings } from '../../config/options';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import type { LogError } from '../../runners/JobExecutor';
import { redactedUrl } from './unavailable';
import { type ChangesPage, changesSince, queueChangeLog } from './changeLog';
import type { RedisConnection } from './connection';
import { canceledAt, endClaimKey, FINISHED_CLAIM, keptEndKey } from './endClaim';
import type { RedisJobEvents } from './jobEvents';
import type { LocalJobs } from './localJobs';
import type { PipelineReply } from './reads';
import { jobLost } from './lostErrors';
import { storedBegin, storedProgress } from './record';
import { resultsUnkept, vanishedEnding } from './vanished';
import type { RedisWorker } from './worker';

/** What the re-check works on. */
export interface RecheckParts {
  readonly settings: Settings;
  readonly logError: LogError;
  readonly connection: RedisConnection;
  readonly localJobs: LocalJobs;
  readonly worker: RedisWorker | undefined;
  /**
   * The job events, told a job's end from its kept end when its end event was trimmed before it was read; where
   * their reader is in the event stream says whether it was.
   */
  readonly jobEvents: Pick<RedisJobEvents, 'endedUnheard' | 'eventsRead'>;
  /** The jobs `execute` is adding: not in Redis yet, so not lost either. */
  readonly beingAdded: ReadonlySet<string>;
}

/** What a look at the jobs finds; see `#look`. */
interface Findings {
  /** Jobs whose local job here is behind their record. */
  readonly changed: string[];
  /** Jobs whose end a cancel claimed. */
  readonly canceled: string[];
  /** Jobs whose record is gone, with their end claim (`null` when none). */
  readonly vanished: Map<string, string | null>;
}

/** Held jobs looked at in full each second besides those the change log names, whatever their number. */
const SWEPT_PER_SECOND = 20;

/**
 * The safety net under QueueEvents, every `checkInterval` and when Redis is back: every active local job whose record
 * moved past it is re-read, every job running here looks for a cancel, a job whose record vanished from Redis ends,
 * here and in its handler, and jobs handed to this worker that never started go back to the queue.
 *
 * Its cost follows what changed, not what is held: each look reads the change log (changeLog.ts) from where the last
 * one stopped, in one round trip with a few held jobs taken in turn (the **sweep**, for a record evicted alone, which
 * writes no event), and looks at the jobs the log names and those held since the last look. The log cannot say what
 * changed when it lost its place (trimmed past it, or gone: FLUSHDB, a restart without persistence), and Redis back
 * from an outage may have dropped what it said meanwhile: the look is then a full one, at every job held, once.
 */
export class Recheck {
  readonly #parts: RecheckParts;
  readonly #timer: NodeJS.Timeout | undefined;
  /** The change log's last event seen; `undefined`: the next look is a full one. */
  #seen: string | undefined;
  /** The jobs held at the last look: one held since is looked at once, as its events may have come before. */
  #held = new Set<string>();
  /** Where the sweep goes on among the jobs held. */
  #sweepAt = 0;
  /** The look under way: the next waits for it rather than overlapping it. */
  #looking: Promise<void> | undefined;

  constructor(parts: RecheckParts) {
    this.#parts = parts;
    const { checkInterval } = parts.settings;
    if (checkInterval > 0) {
      this.#timer = setInterval(() => void this.run(), checkInterval);
      this.#timer.unref();
    }
  }

  /** Looks again; `full`: at every job held, whatever the change log says (Redis is back from an outage). */
  async run(full = false): Promise<void> {
    if (full) this.#seen = undefined;
    while (this.#looking) await this.#looking;
    this.#looking = this.#run().finally(() => (this.#looking = undefined));
    return this.#looking;
  }

  async #run(): Promise<void> {
    const { localJobs, worker, beingAdded } = this.#parts;
    const running = worker?.runningIds() ?? [];
    const held = [...new Set([...localJobs.activeIds(), ...running])].filter((id) => !beingAdded.has(id));
    let found: Findings;
    try {
      found = await this.#lookAtChanges(held);
    } catch {
      return; // Redis is away: the outage is logged once, and the next re-check tries again
    }
    this.#held = new Set(held);
    await localJobs.refresh(found.changed);
    for (const id of found.canceled) void worker?.running(id)?.cancel();
    await this.#endVanished(found.vanished);
    await worker?.requeueNeverStarted().catch(() => {}); // Redis away again: the next re-check looks again
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** What changed among the jobs held: from the change log since the last look, or by a full look. */
  async #lookAtChanges(held: string[]): Promise<Findings> {
    const { redis, queue } = this.#parts.connection;
    const since = this.#seen;
    if (held.length === 0) {
      this.#seen = undefined; // nothing to follow: the log is not read, and the next job held gets a full look
      return { changed: [], canceled: [], vanished: new Map() };
    }
    if (since !== undefined) {
      const first = [...new Set([...held.filter((id) => !this.#held.has(id)), ...this.#sweep(held)])];
      const { head, found } = await this.#look(first, since);
      const changes = await changesSince(redis, queue.keys, head as ChangesPage);
      if (changes !== undefined) {
        this.#seen = changes.last;
        const lookedAt = new Set(first);
        const named = held.filter((id) => changes.ids.has(id) && !lookedAt.has(id));
        if (named.length === 0) return found;
        const more = (await this.#look(named, null)).found;
        return {
          changed: [...found.changed, ...more.changed],
          canceled: [...found.canceled, ...more.canceled],
          vanished: new Map([...found.vanished, ...more.vanished]),
        };
      }
    }
    const { head, found } = await this.#look(held, undefined);
    this.#seen = head as string;
    return found;
  }

  /** The next few held jobs in turn, so that each is looked at every `held / SWEPT_PER_SECOND` seconds. */
  #sweep(held: readonly string[]): readonly string[] {
    const count = Math.max(1, Math.round((SWEPT_PER_SECOND * this.#parts.settings.checkInterval) / 1000));
    if (held.length <= count) return held;
    const from = this.#sweepAt % held.length;
    this.#sweepAt = from + count;
    return [...held.slice(from, from + count), ...held.slice(0, Math.max(0, from + count - held.length))];
  }

  /**
   * What a look at a few small fields of each job finds: the local jobs whose record in Redis has moved past them
   * (begun, ended, cancelled, a new message or progress), so that only those are read in full; the jobs whose end a
   * cancel claimed; and the jobs whose record is gone, with their end claim. The change log's `head` comes in the same
   * round trip: its first page from `since`, where it is now (`undefined`), or none (`null`).
   */
  async #look(
    ids: readonly string[],
    since: string | undefined | null,
  ): Promise<{ head: unknown; found: Findings }> {
    const { connection, localJobs } = this.#parts;
    const { redis, queue, keyPrefix } = connection;
    const found: Findings = { changed: [], canceled: [], vanished: new Map() };
    const pipeline = redis.pipeline();
    if (since !== null) queueChangeLog(pipeline, queue.keys, since);
    for (const id of ids) {
      const key = queue.toKey(id);
      pipeline
        .hmget(key, 'timestamp', 'processedOn', 'finishedOn', 'progress', 'ats', 'atm')
        .llen(`${key}:logs`)
        .get(endClaimKey(keyPrefix, id));
    }
    const replies = ((await pipeline.exec()) ?? []) as PipelineReply[];
    const [headError, head] = since === null ? [null, undefined] : replies.shift()!;
    if (headError) throw headError;
    ids.forEach((id, index) => {
      // Three replies a job, read in place: a slice of the rest at each job copied 1.5 n² replies for n jobs.
      const [fieldsError, fields] = replies[3 * index]!;
      const [, messageCount] = replies[3 * index + 1]!;
      const [claimError, claim] = replies[3 * index + 2]!;
      if (fieldsError ?? claimError) return;
      const [timestamp, processedOn, finishedOn, progress, attemptsStarted, attemptsMade] = (
        fields as (string | null)[]
      ).map((field) => field ?? undefined);
      const canceled = canceledAt(claim as string | null) !== undefined;
      if (canceled) found.canceled.push(id);
      // Every BullMQ job has a timestamp: without one, the record is gone.
      if (timestamp === undefined) return found.vanished.set(id, claim as string | null);
      const local = localJobs.active(id);
      const changed =
        local !== undefined &&
        (finishedOn !== undefined ||
          canceled ||
          storedBegin({ processedOn, attemptsStarted, attemptsMade }) !== local.begin?.getTime() ||
          (messageCount as number) !== local.messagesReported ||
          storedProgress(progress)?.date.getTime() !== local.progress?.date.getTime());
      if (changed) found.changed.push(id);
    });
    return { head, found };
  }

  /**
   * Ends the local jobs of jobs whose record vanished from Redis. Those whose worker stored their end (it claimed it)
   * end as its kept end says (see endClaim.ts) once their end event is gone too, trimmed from the stream before this
   * instance read it; until then the event, late, says how (whole, and after the job's earlier events). The others
   * (a restart without persistence, FLUSHDB, eviction): nothing will ever say how they end, so they fail with
   * `WBJ_JOB_LOST` and their waits settle. A handler still running one here is stopped, as for a cancel: whatever it
   * does now can be stored nowhere.
   */
  async #endVanished(vanished: ReadonlyMap<string, string | null>): Promise<void> {
    const { settings, logError, localJobs, worker, jobEvents } = this.#parts;
    const kept = await this.#keptEnds([...vanished].filter(([, claim]) => claim === FINISHED_CLAIM));
    const lost: string[] = [];
    const resultLost: string[] = [];
    for (const [id, claim] of vanished) {
      const ending = vanishedEnding(id, claim, settings.handlersPath, kept.get(id));
      // Its worker stored its end, and its end event is still to be read (or none was kept: an older worker).
      if (ending === undefined) continue;
      const { resultLost: lostHere, ...ended } = ending;
      const local = localJobs.active(id);
      const running = claim === FINISHED_CLAIM ? undefined : worker?.running(id);
      // Told once: a handler that ignores its signal keeps its job among those running here.
      const news = [local, running].some((job) => job?.state === BackgroundJobState.Active);
      local?.sync({
        progress: local.progress,
        result: undefined,
        ...ended,
        begin: local.begin ?? ended.begin,
      });
      if (lostHere && news) resultLost.push(id);
      if (claim === FINISHED_CLAIM) jobEvents.endedUnheard(id, ended);
      if (claim === FINISHED_CLAIM || ending.errorInfo === undefined) continue;
      running?.expire(ending.errorInfo, jobLost(id));
      if (news) lost.push(id);
    }
    if (resultLost.length > 0) {
      const error = resultsUnkept(resultLost);
      logError(`[web-background-jobs] ${error.message}`, error);
    }
    if (lost.length === 0) return;
    logError(
      `[web-background-jobs] ${lost.length} background job(s) failed with WBJ_JOB_LOST: their records disappeared from Redis ${redactedUrl(settings.store)} (a restart without persistence, FLUSHDB, or eviction): ${lost.join(', ')}`,
      jobLost(lost[0]),
    );
  }

  /**
   * The kept ends of these jobs whose worker claimed their end, in one round trip: none when Redis is away, or while
   * the event stream still holds every entry this instance has not read (the end events will come).
   */
  async #keptEnds(finished: readonly (readonly [string, unknown])[]): Promise<Map<string, string | null>> {
    if (finished.length === 0) return new Map();
    const { redis, keyPrefix, queue } = this.#parts.connection;
    const pipeline = redis.pipeline();
    const trimmed = this.#parts.jobEvents.eventsRead.queue(pipeline, queue.keys.events);
    for (const [id] of finished) pipeline.get(keptEndKey(keyPrefix, id));
    const replies = ((await pipeline.exec().catch(() => null)) ?? []) as PipelineReply[];
    if (!trimmed(replies.shift())) return new Map();
    return new Map(finished.map(([id], index) => [id, (replies[index]?.[1] as string | null) ?? null]));
  }
}
