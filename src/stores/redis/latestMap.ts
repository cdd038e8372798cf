/**
 * A map that keeps only its `limit` latest keys: setting a key makes it the latest, and the oldest beyond the limit
 * are forgotten. For what this process remembers of jobs it may never see again (the cancels it sent, or heard of
 * jobs running elsewhere), so that memory stays bounded however many jobs pass.
 */
export class LatestMap<K, V> extends Map<K, V> {
  readonly #limit: number;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.#limit) this.delete(this.keys().next().value!);
    return this;
  }
}
