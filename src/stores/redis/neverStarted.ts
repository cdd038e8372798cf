import type { Worker } from 'bullmq';
import type { Settings } from '../../config/options';
import type { RedisConnection } from './connection';
import { endClaimKey, FINISHED_CLAIM } from './endClaim';
import { pipelinePerJob } from './reads';

/** What {@link NeverStarted} looks at. */
export interface NeverStartedParts {
  readonly settings: Settings;
  readonly connection: RedisConnection;
  readonly warn: (line: string) => void;
  /** The worker whose lock tokens it looks for. */
  readonly worker: Pick<Worker, 'id'>;
  /** The jobs that worker runs, with their lock token. */
  readonly tokens: ReadonlyMap<string, string>;
}

/**
 * Jobs a worker took from the queue just as its connection dropped: Redis handed them over (they are active,
 * locked with this worker's token) but the reply was lost, so no handler ever started, and BullMQ would fail them
 * as if their process had died. Seen so on two looks in a row (a job being handed over right now is seen once at
 * most), each goes back to the queue and runs once.
 */
export class NeverStarted {
  readonly #parts: NeverStartedParts;
  /** Jobs seen on the last look as handed to this worker and never started, with their lock token. */
  #seen = new Map<string, string>();

  constructor(parts: NeverStartedParts) {
    this.#parts = parts;
  }

  /** Looks for them, and puts back those seen on the last look too; only for a while after a connection failed. */
  async requeue(): Promise<void> {
    const { settings, connection, warn, worker, tokens } = this.#parts;
    const lockMs = settings.lostWorkerSeconds * 1000;
    if (Date.now() - connection.lastFailure > 2 * lockMs) return;
    const { redis, queue, keyPrefix } = connection;
    const active = await redis.lrange(queue.keys.active, 0, -1);
    const replies = await pipelinePerJob(redis, active, (pipeline, id) =>
      pipeline.get(`${queue.toKey(id)}:lock`).get(endClaimKey(keyPrefix, id)),
    );
    const seen = this.#seen;
    this.#seen = new Map();
    active.forEach((id, index) => {
      const [[, token], [, claim]] = replies[index] as [unknown, string | null][];
      const stranded = token?.startsWith(`${worker.id}:`) && !tokens.has(id) && claim !== FINISHED_CLAIM;
      if (!stranded) return;
      if (seen.get(id) !== token) return void this.#seen.set(id, token!);
      warn(
        `[web-background-jobs] Background job ${id} was handed to this worker as its connection to Redis dropped, and never started: it goes back to the queue`,
      );
      void queue
        .getJob(id)
        .then((job) => job?.moveToWait(token!))
        .catch(() => {}); // taken or ended meanwhile: nothing to put back
    });
  }
}
