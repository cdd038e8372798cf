// The callbacks a job holds (its waits, its watchers): most jobs have none or one, so one is held alone and a Set is
// made only for a second. Added and removed one by one, so a wait that ends or a stream that closes keeps nothing
// attached to the job, however long it runs.

/** No callback, one, or several. */
export type Callbacks = (() => void) | Set<() => void> | undefined;

/** `held` with `callback` added. */
export function withCallback(held: Callbacks, callback: () => void): Callbacks {
  if (held === undefined) return callback;
  if (typeof held === 'function') return new Set([held, callback]);
  return held.add(callback);
}

/** `held` without `callback`. */
export function withoutCallback(held: Callbacks, callback: () => void): Callbacks {
  if (held === callback) return undefined;
  if (typeof held === 'object') held.delete(callback);
  return held;
}

/** Calls every callback of `held`. */
export function callEach(held: Callbacks): void {
  if (typeof held === 'function') held();
  else held?.forEach((callback) => callback());
}
