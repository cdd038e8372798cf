import type { Job, JobsOptions, Queue } from 'bullmq';
import { redisModules } from './redisModules';

/** A job waiting for the batch it goes to Redis in. */
interface PendingAdd {
  readonly name: string;
  readonly data: unknown;
  readonly opts: JobsOptions & { readonly jobId: string };
  readonly resolve: (id: string) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Adds jobs to a BullMQ queue, those asked for in the same tick in one round trip: a pipeline of BullMQ's own add
 * script, one per job in the order asked, so each job is added (or deduplicated) exactly as `Queue.add` would, and
 * each caller learns its own job's outcome — the id Redis answered (another job's id when the key rule
 * deduplicated it), or its own error.
 */
export class AddBatch {
  readonly #queue: Queue;
  readonly #Job: typeof Job;
  #pending: PendingAdd[] = [];

  constructor(queue: Queue, url: string) {
    this.#queue = queue;
    this.#Job = redisModules(url).bullmq.Job;
  }

  /** Resolves with the id Redis gives the job: `opts.jobId`, or the id of the job the key rule kept. */
  add(name: string, data: unknown, opts: PendingAdd['opts']): Promise<string> {
    return new Promise((resolve, reject) => {
      // Sent once the current tick's promise chains have run: every execute of the tick has joined by then.
      if (this.#pending.length === 0) process.nextTick(() => void this.#send());
      this.#pending.push({ name, data, opts, resolve, reject });
    });
  }

  async #send(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 1) return this.#sendOne(batch[0]!);
    try {
      const pipeline = (await this.#queue.getBackend().client).pipeline();
      // A job BullMQ refuses before sending (its options) fails alone, and is not in the pipeline's replies.
      const sent = batch.filter(({ name, data, opts, reject }) => {
        try {
          void new this.#Job(this.#queue, name, data, opts, opts.jobId).addJob(pipeline);
          return true;
        } catch (error) {
          reject(error);
          return false;
        }
      });
      const replies = sent.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      sent.forEach(({ resolve, reject }, index) => {
        const [error, id] = replies[index] ?? [new Error('Redis sent no reply to the add')];
        if (error) reject(error);
        else resolve(String(id));
      });
    } catch (error) {
      for (const { reject } of batch) reject(error); // a settled one stays as it is
    }
  }

  /** A job alone in its tick: BullMQ's own add, which costs less than a pipeline of one. */
  async #sendOne({ name, data, opts, resolve, reject }: PendingAdd): Promise<void> {
    try {
      resolve((await this.#queue.add(name, data, opts)).id!);
    } catch (error) {
      reject(error);
    }
  }
}
