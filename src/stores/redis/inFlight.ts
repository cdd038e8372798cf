import type { Queue } from 'bullmq';
import { LatestMap } from './latestMap';

/**
 * What this process sent to Redis that decides whether a worker here may run a job: the job's add (an execute here,
 * or a replace) while it is in flight, and the cancels sent from here. A job cancelled while queued never runs: its
 * data says so when BullMQ hands it over (see endClaim.ts). But BullMQ may hand a job over to a worker here before the
 * execute that added it has resolved, and a cancel made right after execute may then reach Redis after the job went
 * active; Redis does not even answer two connections in the order it ran their commands. So a worker here that takes a
 * job waits for its add and for execute's caller to have had its turn, as memory starts a job only then, and asks
 * Redis how a cancel sent from here ended before it runs the handler.
 */
interface Sent {
  /** The adds in flight, by job id. */
  readonly adds: Map<string, Promise<unknown>>;
  /** The latest cancels sent from here, by job id, settled once Redis answered; the oldest beyond {@link KEPT} go. */
  readonly cancels: Map<string, Promise<unknown>>;
}

/**
 * How many of the latest cancels are kept: a job cancelled here is taken by a worker here well before that many
 * other cancels, or it is not taken here at all.
 */
const KEPT = 1000;

const sentTo = new WeakMap<Queue, Sent>();

/** A sending's outcome, once it is known: here only that it settled. */
const nothing = (): undefined => undefined;

/** Notes that this process sent `sending`, the add or a cancel of job `jobId`; resolves as `sending` does. */
export function track<T>(
  queue: Queue,
  jobId: string,
  kind: 'add' | 'cancel',
  sending: Promise<T>,
): Promise<T> {
  let sent = sentTo.get(queue);
  if (sent === undefined) sentTo.set(queue, (sent = { adds: new Map(), cancels: new LatestMap(KEPT) }));
  const settled = sending.then(nothing, nothing);
  if (kind === 'add') {
    const { adds } = sent;
    adds.set(jobId, settled);
    void settled.then(() => {
      if (adds.get(jobId) === settled) adds.delete(jobId);
    });
  } else sent.cancels.set(jobId, settled);
  return sending;
}

/**
 * `undefined` when nothing sent from here can keep job `jobId` from running (the common case: no wait); else settles
 * once its add has been answered and execute's caller has had a turn to cancel the job, with whether a cancel of it
 * was sent from here (and answered).
 */
export function settledHere(queue: Queue, jobId: string): Promise<boolean> | undefined {
  const sent = sentTo.get(queue);
  const adding = sent?.adds.get(jobId);
  if (sent === undefined || (adding === undefined && !sent.cancels.has(jobId))) return undefined;
  return (async () => {
    if (adding !== undefined) {
      await adding;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const canceling = sent.cancels.get(jobId);
    if (canceling === undefined) return false;
    sent.cancels.delete(jobId);
    await canceling;
    return true;
  })();
}
