import type { BackgroundJob } from '../jobs/BackgroundJob';

/**
 * The jobs of one manager, held in this process: the active ones, the finished ones up to the history size
 * (oldest finished evicted first; active jobs never), and the keys the active jobs hold.
 */
export class MemoryJobStore {
  readonly #historySize: number;
  /** Every job still findable, in the order executed. */
  readonly #jobs = new Map<string, BackgroundJob>();
  /** Finished jobs, oldest first: the eviction order. */
  readonly #history: BackgroundJob[] = [];
  /** `identity + key` → the active job holding it. */
  readonly #keys = new Map<string, BackgroundJob>();
  /** Active job → the key slot it holds. */
  readonly #releaseKey = new WeakMap<BackgroundJob, string>();

  constructor(historySize: number) {
    this.#historySize = historySize;
  }

  /**
   * Registers an active job under its handler identity and key, unless an active job holds them already; then
   * that job is returned and nothing is registered. Synchronous, so concurrent calls cannot both win.
   */
  add(job: BackgroundJob, handlerIdentity: string): BackgroundJob | undefined {
    if (job.key !== '') {
      const slot = `${handlerIdentity}\0${job.key}`;
      const holder = this.#keys.get(slot);
      if (holder !== undefined) return holder;
      this.#keys.set(slot, job);
      this.#releaseKey.set(job, slot);
    }
    this.#jobs.set(job.uuid, job);
    return undefined;
  }

  /** Frees the job's key and moves it into history, evicting the oldest finished jobs beyond the size. */
  finished(job: BackgroundJob): void {
    const slot = this.#releaseKey.get(job);
    if (slot !== undefined) {
      this.#keys.delete(slot);
      this.#releaseKey.delete(job);
    }
    this.#history.push(job);
    while (this.#history.length > this.#historySize) this.#jobs.delete(this.#history.shift()!.uuid);
  }

  get(uuid: string): BackgroundJob | undefined {
    return this.#jobs.get(uuid);
  }

  /** Every findable job, in the order executed. */
  list(): BackgroundJob[] {
    return [...this.#jobs.values()];
  }
}
