import type { BackgroundJob } from '../../jobs/BackgroundJob';
import type { JobHeader } from './record';

/** What this instance knows of a job whose events it may tell. */
export interface Followed {
  /** Its header, once known: from its `added` event, else read from its record. */
  header: JobHeader | undefined;
  /** When it began (ms). */
  begin: number | undefined;
  /** Whether this instance executed it. */
  executedHere: boolean;
  /** Whether this instance's worker ran it (it stays ours after its run). */
  ranHere: boolean;
  /** The worker's job object, until the job's end is told: the worker lets it go once it has stored the end. */
  running: BackgroundJob | undefined;
  started: boolean;
  /** How long a job held back by delaySeconds or startAt waits (from its `delayed` event), for its queued event. */
  delaySeconds: number;
  /** Its `added` event was read: the wait or delay next in the stream is its first, not a failed attempt's retry. */
  entering: boolean;
  /** The attempt started last, from 1 (execute's `attempts`: BullMQ runs a failed attempt again). */
  attempt: number;
  /** False for a job first heard after its `added` event: its earlier attempts went unheard, its record counts them. */
  attemptKnown: boolean;
  ended: boolean;
  /** This instance's worker handed the job straight back (close() had begun) before its `active` event was read. */
  activeHandedBack: boolean;
  /** This instance's worker said it handed the job back: the hand-back's event, read later, says nothing new. */
  handBackNoted: boolean;
  /** Hand-backs known once their `active` event was read: a started told from before one is not told. */
  handBacks: number;
  /** The events of one job are told in the order the stream has them, behind any read of its header. */
  told: Promise<void>;
}

/** What this instance knows of a job first heard of now, with its header if known. */
export function newFollowed(header: JobHeader | undefined): Followed {
  return {
    header,
    begin: undefined,
    executedHere: false,
    ranHere: false,
    running: undefined,
    started: false,
    delaySeconds: 0,
    entering: false,
    attempt: 0,
    attemptKnown: header !== undefined,
    ended: false,
    activeHandedBack: false,
    handBackNoted: false,
    handBacks: 0,
    told: Promise.resolve(),
  };
}
