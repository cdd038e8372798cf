// execute's onKeyConflict 'replace' on a Redis store: the job holding a key is cancelled and the new job takes the
// key in one MULTI, so that no other command, of this instance or another, runs between the two.
import type { Job, JobsOptions, Queue, RedisClient } from 'bullmq';
import { CANCEL_EVENT, MAX_EVENTS } from './changeLog';
import { cancelClaim, endClaimKey, markCanceled } from './endClaim';
import { track } from './inFlight';

/**
 * Cancels the holder as a cancel does (its end claim with the cancel event that stops its handler wherever it runs,
 * see changeLog.ts) and frees the key, but only while the key is still the holder's: a replace that lost a race
 * to another execute changes nothing, and the add after it in the MULTI then names the new holder.
 * KEYS: the key rule's deduplication key, the holder's end claim, the events stream, the holder's hash, the queue's meta.
 * ARGV: the holder's id, the cancel's claim, when it was made (ms). 1 if the key was the holder's.
 */
const REPLACE_HOLDER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX') then
  ${MAX_EVENTS}
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxEvents, '*', 'event', '${CANCEL_EVENT}', 'jobId', ARGV[1])
  ${markCanceled('KEYS[4]', 'ARGV[3]')}
end
redis.call('DEL', KEYS[1])
return 1`;

const COMMAND = 'wbjReplaceHolder';

/** A job to add in place of the one holding its key, as the store would add it. */
export interface Replacement {
  readonly name: string;
  readonly data: unknown;
  readonly opts: JobsOptions & { readonly jobId: string; readonly deduplication: { readonly id: string } };
}

/** Replaces the holders of keys on one queue (see {@link KeyReplacer.replace}). */
export class KeyReplacer {
  readonly #queue: Queue;
  readonly #Job: typeof Job;
  #client: Promise<RedisClient> | undefined;

  constructor(queue: Queue, JobClass: typeof Job) {
    this.#queue = queue;
    this.#Job = JobClass;
  }

  /**
   * Cancels `holderId`, which holds the key of `job`, and adds `job`, in one MULTI. Resolves with the id that holds
   * the key afterwards: `job.opts.jobId` once replaced, or the job that took the key before (replace it in turn).
   * A worker here that takes either job meanwhile waits for the answer (see inFlight.ts).
   */
  replace(holderId: string, job: Replacement): Promise<string> {
    const replacing = this.#replace(holderId, job);
    // The replacement's add is tracked with its whole execute (RedisJobStore.start).
    return track(this.#queue, holderId, 'cancel', replacing);
  }

  async #replace(holderId: string, job: Replacement): Promise<string> {
    // The queue's own connection: BullMQ's add script is defined there, and a MULTI is one connection's.
    const client = await (this.#client ??= this.#queue.getBackend().client.then((queueClient) => {
      queueClient.defineCommand(COMMAND, { numberOfKeys: 5, lua: REPLACE_HOLDER });
      return queueClient;
    }));
    const { keys } = this.#queue;
    const multi = client.multi();
    const at = Date.now();
    multi.runCommand(COMMAND, [
      `${this.#queue.toKey('de')}:${job.opts.deduplication.id}`,
      endClaimKey(this.#queue.toKey(''), holderId),
      keys.events!,
      this.#queue.toKey(holderId),
      keys.meta!,
      holderId,
      cancelClaim(at),
      at,
    ]);
    new this.#Job(this.#queue, job.name, job.data, job.opts, job.opts.jobId)
      .addJob(multi)
      .catch(() => undefined); // its outcome is read from exec's replies below
    const replies = (await multi.exec()) ?? [];
    const [error, id] = replies[1] ?? [new Error('Redis sent no reply to the add')];
    if (error) throw error;
    return String(id);
  }
}
