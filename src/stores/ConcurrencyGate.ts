/**
 * Lets at most `limit` jobs run at once; the others wait first in, first out. A waiting start that reports it
 * did not start (its job was cancelled while queued) passes its turn on at once.
 */
export class ConcurrencyGate {
  readonly #limit: number;
  #running = 0;
  /** A FIFO of starts: `#waiting[#head]` is next. Shifting an array is O(n), so the head moves instead. */
  #waiting: (((fromQueue: boolean) => boolean) | undefined)[] = [];
  #head = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Calls `start(false)` now if a slot is free, else `start(true)` when one frees. `start` returns whether it
   * took the slot.
   */
  admit(start: (fromQueue: boolean) => boolean): void {
    if (this.#running >= this.#limit) {
      this.#waiting.push(start);
      return;
    }
    this.#running += 1;
    if (!start(false)) this.release();
  }

  /** Frees a slot: the next waiting start that takes it runs now. */
  release(): void {
    while (this.#head < this.#waiting.length) {
      const start = this.#waiting[this.#head];
      this.#waiting[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      if (start!(true)) return;
    }
    this.#running -= 1;
  }
}
