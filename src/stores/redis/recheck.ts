import type { Settings } from '../../config/options';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import type { LogError } from '../../runners/JobExecutor';
import { redactedUrl } from './unavailable';
import type { RedisConnection } from './connection';
import { canceledAt, endClaimKey } from './endClaim';
import type { LocalJobs } from './localJobs';
import { pipelinePerJob } from './reads';
import { jobLost, storedProgress, vanishedEnding } from './record';
import type { RedisWorker } from './worker';

/** What the re-check works on. */
export interface RecheckParts {
  readonly settings: Settings;
  readonly logError: LogError;
  readonly connection: RedisConnection;
  readonly localJobs: LocalJobs;
  readonly worker: RedisWorker | undefined;
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

/**
 * The safety net under QueueEvents, every `checkInterval` and when Redis is back: every active local job whose record
 * moved past it is re-read, every job running here looks for a cancel, a job whose record vanished from Redis ends,
 * here and in its handler, and jobs handed to this worker that never started go back to the queue.
 */
export class Recheck {
  readonly #parts: RecheckParts;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(parts: RecheckParts) {
    this.#parts = parts;
    const { checkInterval } = parts.settings;
    if (checkInterval > 0) {
      this.#timer = setInterval(() => void this.run(), checkInterval);
      this.#timer.unref();
    }
  }

  async run(): Promise<void> {
    const { localJobs, worker, beingAdded } = this.#parts;
    const running = worker?.runningIds() ?? [];
    const held = [...new Set([...localJobs.activeIds(), ...running])].filter((id) => !beingAdded.has(id));
    let found: Findings;
    try {
      found = await this.#look(held);
    } catch {
      return; // Redis is away: the outage is logged once, and the next re-check tries again
    }
    await localJobs.refresh(found.changed);
    for (const id of found.canceled) void worker?.running(id)?.cancel();
    this.#endVanished(found.vanished);
    await worker?.requeueNeverStarted().catch(() => {}); // Redis away again: the next re-check looks again
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * What a look at a few small fields of each job finds: the local jobs whose record in Redis has moved past them
   * (begun, ended, cancelled, a new message or progress), so that only those are read in full; the jobs whose end a
   * cancel claimed; and the jobs whose record is gone, with their end claim.
   */
  async #look(ids: readonly string[]): Promise<Findings> {
    const { connection, localJobs } = this.#parts;
    const { redis, queue, keyPrefix } = connection;
    const found: Findings = { changed: [], canceled: [], vanished: new Map() };
    const replies = await pipelinePerJob(redis, ids, (pipeline, id) => {
      const key = queue.toKey(id);
      pipeline
        .hmget(key, 'timestamp', 'processedOn', 'finishedOn', 'progress')
        .llen(`${key}:logs`)
        .get(endClaimKey(keyPrefix, id));
    });
    ids.forEach((id, index) => {
      const [[fieldsError, fields], [, messageCount], [claimError, claim]] = replies[index]!;
      if (fieldsError ?? claimError) return;
      const [timestamp, processedOn, finishedOn, progress] = fields as (string | null)[];
      const canceled = canceledAt(claim as string | null) !== undefined;
      if (canceled) found.canceled.push(id);
      // Every BullMQ job has a timestamp: without one, the record is gone.
      if (timestamp === null) return found.vanished.set(id, claim as string | null);
      const local = localJobs.active(id);
      const changed =
        local !== undefined &&
        (finishedOn !== null ||
          canceled ||
          (processedOn === null ? undefined : Number(processedOn)) !== local.begin?.getTime() ||
          (messageCount as number) !== local.messagesReported ||
          storedProgress(progress ?? undefined)?.date.getTime() !== local.progress?.date.getTime());
      if (changed) found.changed.push(id);
    });
    return found;
  }

  /**
   * Ends the local jobs of jobs whose record vanished from Redis (a restart without persistence, FLUSHDB, eviction):
   * nothing will ever say how they end, so they fail with `WBJ_JOB_LOST` and their waits settle. A handler still
   * running one here is stopped, as for a cancel: whatever it does now can be stored nowhere.
   */
  #endVanished(vanished: ReadonlyMap<string, string | null>): void {
    const { settings, logError, localJobs, worker } = this.#parts;
    const lost: string[] = [];
    for (const [id, claim] of vanished) {
      const ending = vanishedEnding(id, claim, settings.handlersPath);
      if (ending === undefined) continue; // its worker stored its end: the end event says how
      const local = localJobs.active(id);
      const running = worker?.running(id);
      // Told once: a handler that ignores its signal keeps its job among those running here.
      const news = [local, running].some((job) => job?.state === BackgroundJobState.Active);
      local?.sync({ begin: local.begin, progress: local.progress, result: undefined, ...ending });
      if (ending.errorInfo !== undefined) running?.expire(ending.errorInfo, jobLost(id));
      if (ending.errorInfo !== undefined && news) lost.push(id);
    }
    if (lost.length === 0) return;
    logError(
      `[web-background-jobs] ${lost.length} background job(s) failed with WBJ_JOB_LOST: their records disappeared from Redis ${redactedUrl(settings.store)} (a restart without persistence, FLUSHDB, or eviction): ${lost.join(', ')}`,
      jobLost(lost[0]),
    );
  }
}
