// The event-loop turns a job run on this thread waits for, batched: one `setImmediate` settles every job whose
// handler ended since the last one, instead of one a job.

/**
 * The promises to resolve once Node has reported the rejections left unhandled so far, with their values; two
 * arrays rather than a closure each.
 */
let resolves: ((value: unknown) => void)[] = [];
let values: unknown[] = [];
/** Whether a `settle` immediate is queued and has not run yet. */
let settleQueued = false;

/**
 * Calls `start` on the next turn of the event loop, in the caller's async context, as `setImmediate` does; a settle
 * is queued right behind it when none is, so a handler that ends within that turn settles in the same pass of
 * the loop rather than on the next one.
 */
export function nextTurn(start: () => void): void {
  setImmediate(start);
  if (!settleQueued) queueSettle();
}

/**
 * Resolves `resolve` with `value` once Node has reported the rejections left unhandled until now. Node reports
 * them once the microtask queue drains, between two immediates at the latest: so the rejection a handler left
 * behind fails its own job, before the job could be marked `Completed`.
 */
export function settleAfterRejections<T>(resolve: (value: T) => void, value: T): void {
  resolves.push(resolve as (value: unknown) => void);
  values.push(value);
  if (!settleQueued) queueSettle();
}

function queueSettle(): void {
  settleQueued = true;
  setImmediate(settle);
}

function settle(): void {
  settleQueued = false;
  const due = resolves;
  const dueValues = values;
  resolves = [];
  values = [];
  for (let index = 0; index < due.length; index += 1) due[index]!(dueValues[index]);
}
