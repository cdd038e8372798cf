import type { QueueEvents, QueueEventsOptions } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import { CANCEL_EVENT, HAND_BACK_EVENT, MESSAGE_EVENT } from './changeLog';

/**
 * Every event BullMQ 5–6 and this library write to a queue's event stream. Each is listened to only for its stream id:
 * an event missing here leaves the position read behind, so that a trim is seen where there was none (the kept end is
 * then used a little early, as before this position was kept), never the other way round.
 */
const STREAM_EVENTS = [
  'added',
  'waiting',
  'waiting-children',
  'active',
  'progress',
  'completed',
  'failed',
  'delayed',
  'stalled',
  'retries-exhausted',
  'removed',
  'cleaned',
  'drained',
  'paused',
  'resumed',
  'duplicated',
  'deduplicated',
  'debounced',
  MESSAGE_EVENT,
  CANCEL_EVENT,
  HAND_BACK_EVENT,
];

/**
 * Where this instance's event reader (QueueEvents) is in the queue's event stream: the id of the last entry it
 * delivered, or the one it started after. A job's end event not read yet is still to come unless BullMQ trimmed the
 * stream past that point (`maxLenEvents`): only then may the job's kept end (endClaim.ts) say how it ended, since
 * its end event, and its earlier events with it, can no longer be told here. Used otherwise, a kept end would pre-empt
 * the whole end still in the stream (a result or error past the bound kept is cut) and be told before the job's
 * progress.
 */
export class EventsRead {
  /** `undefined`: the reader started from wherever the stream was (Redis was away): no trim can be told from it. */
  #last: string | undefined;

  /** Follows a new reader (one per connection to Redis), from where it starts. */
  follow(queueEvents: QueueEvents): void {
    const start = (queueEvents.opts as QueueEventsOptions).lastEventId;
    this.#last = start === undefined || start === '$' ? undefined : start;
    const read = (...args: unknown[]): void => {
      const id = args[args.length - 1]; // after the event's fields, or alone (`drained`)
      if (typeof id === 'string') this.#last = id;
    };
    for (const event of STREAM_EVENTS) queueEvents.on(event as 'added', read);
  }

  /**
   * Queues on `pipeline` the read of the stream `key` that {@link trimmedPast} answers from, with where the reader is
   * now: read before the answer, so that no trim made meanwhile is missed.
   */
  queue(pipeline: ChainableCommander, key: string): (reply: [Error | null, unknown] | undefined) => boolean {
    const last = this.#last;
    pipeline.xinfo('STREAM', key);
    return (reply) => trimmedPast(last, reply);
  }
}

/**
 * Whether the stream lost entries after `last` (XINFO STREAM's reply): BullMQ trims it from its oldest, so its first
 * entry comes after `last` once `last` is gone (entries after it may be, too); an empty stream lost every entry
 * after `last` that it made. Redis 7's `max-deleted-entry-id` would say it exactly, but counts XDEL only, not
 * trimming. A stream gone (FLUSHDB) lost them all; Redis away: not known, so no.
 */
function trimmedPast(last: string | undefined, reply: [Error | null, unknown] | undefined): boolean {
  if (last === undefined || reply === undefined) return false;
  const [error, info] = reply;
  if (error) return /no such key/i.test(error.message);
  const fields = info as unknown[];
  const field = (name: string): unknown => fields[fields.indexOf(name) + 1];
  // From the stream's start (it did not exist yet): trimmed once it holds fewer entries than were ever added (Redis 7).
  if (last === '0-0') return (field('entries-added') as number | undefined)! > (field('length') as number);
  const first = field('first-entry') as [string, unknown] | null;
  return after(first === null ? (field('last-generated-id') as string) : first[0], last);
}

/** Whether stream id `id` comes after `than`. */
function after(id: string, than: string): boolean {
  const [ms, seq] = id.split('-').map(Number);
  const [thanMs, thanSeq] = than.split('-').map(Number);
  return ms! > thanMs! || (ms === thanMs && seq! > thanSeq!);
}
