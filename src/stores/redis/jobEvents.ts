import type { QueueEvents, QueueEventsListener } from 'bullmq';
import type { Settings } from '../../config/options';
import type { BackgroundJob } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import type { ErrorInfo } from '../../jobs/errorInfo';
import type { BackgroundJobsEventName, JobEventBase } from '../../jobs/jobEvents';
import type { JobEmitter } from '../JobEmitter';
import { CANCEL_EVENT, HAND_BACK_EVENT, MESSAGE_EVENT } from './changeLog';
import type { RedisConnection } from './connection';
import { EventsRead } from './eventsRead';
import { type Followed, newFollowed } from './followedJob';
import {
  headerOf,
  type HeldJobs,
  readAttempt,
  readAttemptErrors,
  readBegin,
  readHeader,
} from './followedReads';
import { LatestMap } from './latestMap';
import type { VanishedEnding } from './vanished';
import {
  decodeFailure,
  type EndFacts,
  type JobHeader,
  messageOf,
  progressOf,
  type StoredResult,
} from './record';

/** QueueEvents' listeners, with our own events. */
interface OurListeners extends QueueEventsListener {
  [MESSAGE_EVENT]: (args: { jobId: string; index?: string }, id: string) => void;
  [CANCEL_EVENT]: (args: { jobId: string }, id: string) => void;
  [HAND_BACK_EVENT]: (args: { jobId: string }, id: string) => void;
}

/** Jobs followed at most: the oldest are forgotten first (a job that lived that long is read back if heard again). */
const FOLLOWED_AT_MOST = 10_000;

/**
 * The job events of a Redis store, told from BullMQ's event stream, which QueueEvents already reads: one source for
 * every instance, in the order things happened. With `jobsEvents` = `own`, only the jobs this instance started (it
 * holds their local job) or runs; with `all`, every instance's. A job run here but started elsewhere is told as
 * started by its worker if its `active` event came before the worker said so.
 */
export class RedisJobEvents {
  readonly #settings: Settings;
  readonly #events: JobEmitter;
  readonly #connection: RedisConnection;
  readonly #held: HeldJobs;
  readonly #followed = new LatestMap<string, Followed>(FOLLOWED_AT_MOST);
  /** Where the reader is in the event stream: see {@link endedUnheard}. */
  readonly eventsRead = new EventsRead();

  constructor(settings: Settings, events: JobEmitter, connection: RedisConnection, held: HeldJobs) {
    this.#settings = settings;
    this.#events = events;
    this.#connection = connection;
    this.#held = held;
  }

  /** Listens to QueueEvents: after the local jobs' own listeners, so that a job handed to a listener is up to date. */
  follow(queueEvents: QueueEvents): void {
    this.eventsRead.follow(queueEvents);
    const on = <E extends keyof OurListeners>(
      event: E,
      tell: (jobId: string, args: Parameters<OurListeners[E]>[0], at: Date) => void,
    ) =>
      queueEvents.on<OurListeners>(event, ((args: { jobId: string }, id: string) => {
        if (this.#events.wantsJobEvents) tell(args.jobId, args as Parameters<OurListeners[E]>[0], timeOf(id));
      }) as OurListeners[E]);
    on('added', (jobId, { name }, at) => {
      const followed = this.#ifOurs(jobId, headerOf(name));
      if (followed !== undefined) followed.entering = true;
      // Told where executed (a worker here hears it from its start); a delay is its next event's, read by then.
      if (followed !== undefined && (followed.executedHere || this.#settings.events === 'all'))
        this.#tell(jobId, followed, 'queued', at, () =>
          followed.delaySeconds > 0 ? { delaySeconds: followed.delaySeconds } : {},
        );
    });
    on('active', (jobId, _args, at) => {
      const followed = this.#ifOurs(jobId);
      if (followed !== undefined) this.#began(jobId, followed, at);
    });
    on('progress', (jobId, { data }, at) => {
      const followed = this.#ifOurs(jobId);
      const progress = progressOf(data);
      if (followed !== undefined && progress !== undefined)
        this.#tell(jobId, followed, 'progress', at, () => ({ progress }));
    });
    on(MESSAGE_EVENT, (jobId, { index }, at) => {
      const followed = this.#ifOurs(jobId);
      if (followed !== undefined && index !== undefined)
        this.#tell(jobId, followed, 'message', at, async () => {
          const { redis, queue } = this.#connection;
          const line = await redis.lindex(`${queue.toKey(jobId)}:logs`, Number(index)).catch(() => null);
          return line === null ? undefined : { message: messageOf(line) };
        });
    });
    on('completed', (jobId, { returnvalue }, at) => {
      const returned = returnvalue as unknown as Partial<StoredResult> | null;
      this.#ended(jobId, 'completed', at, returned ?? undefined, () => ({}));
    });
    on('failed', (jobId, { failedReason }, at) => {
      const { state, errorInfo, facts } = decodeFailure(failedReason, jobId, this.#settings.handlersPath);
      this.#endedAs(jobId, state, errorInfo, at, facts);
    });
    // A started attempt that goes back to wait, or to wait out its backoff, failed and runs again.
    const retried = (jobId: string, at: Date, delay?: number): void => {
      const retrying = this.#followed.get(jobId);
      // Its first wait or delay (a worker here may have begun it before the stream said so), or a retry's.
      if (retrying?.entering) {
        retrying.entering = false;
        if (delay !== undefined) retrying.delaySeconds = (delay - at.getTime()) / 1000;
      } else if (retrying?.started && !retrying.ended) this.#attemptFailed(jobId, retrying, at);
    };
    on('delayed', (jobId, { delay }, at) => retried(jobId, at, Number(delay)));
    on('waiting', (jobId, _args, at) => retried(jobId, at));
    // A cancel that claimed the job's end: the job is Canceled from now on, whatever its worker does next.
    on(CANCEL_EVENT, (jobId, _args, at) =>
      this.#ended(jobId, 'canceled', at, { end: at.getTime() }, () => ({})),
    );
    // A closing worker handed the job straight back: the `active` before was no begin, the wait next no failure.
    on(HAND_BACK_EVENT, (jobId) => {
      const followed = this.#followed.get(jobId);
      if (followed?.handBackNoted)
        followed.handBackNoted = false; // its worker here said so first
      else if (followed?.started && !followed.ended) this.#unbegin(followed);
    });
  }

  /** This instance executed a job (it is adding it to Redis): its events are this instance's own. */
  executed(uuid: string, header: JobHeader): void {
    if (this.#events.wantsJobEvents) this.#follow(uuid, header).executedHere = true;
  }

  /** A job executed here never made it into Redis. */
  forget(uuid: string): void {
    this.#followed.delete(uuid);
  }

  /**
   * This instance's worker began running a job: told as started here when the job is not this instance's own
   * otherwise (its `active` event, read on another connection, may come before or after this).
   */
  ranHere(running: BackgroundJob, executedAt: number): void {
    if (!this.#events.wantsJobEvents) return;
    const followed = this.#followed.get(running.uuid) ?? this.#follow(running.uuid, undefined);
    followed.ranHere = true;
    if (followed.ended) return; // cancelled while queued, it yields: its end was told, nothing lets its job go
    followed.running = running;
    if (this.#settings.events === 'all' || followed.executedHere) return; // told by the stream, in order
    followed.header ??= { ...fieldsOf(running), executedAt };
    this.#began(running.uuid, followed, new Date());
  }

  /**
   * This instance's worker was handed job `uuid` as close() began and hands it straight back to the queue: it never
   * began, and the wait that follows is no failed attempt. Said before Redis says the job began, most often: other
   * instances learn of it from the hand-back's event, which may come after they told the job started.
   */
  handedBack(uuid: string): void {
    const followed = this.#events.wantsJobEvents ? this.#ifOurs(uuid) : undefined;
    if (followed === undefined || followed.ended) return;
    followed.handBackNoted = true;
    if (followed.started) this.#unbegin(followed);
    else followed.activeHandedBack = true;
  }

  /** The attempt begun last, from Redis's word, was handed straight back: its started, unless told already, never is. */
  #unbegin(followed: Followed): void {
    followed.handBacks += 1;
    followed.started = false;
    followed.attempt -= 1;
    followed.told = followed.told.then(() => void (followed.begin = undefined)); // read for a begin that never was
  }

  #began(jobId: string, followed: Followed, at: Date): void {
    if (followed.started || followed.ended) return; // a job cancelled while queued is taken, and yields at once
    if (followed.activeHandedBack) return void (followed.activeHandedBack = false);
    followed.started = true;
    // The stream tells the attempts of a job followed from its start: counted here, not read from the worker's job
    // object, which may already run the next attempt when this begin is read. Otherwise the worker's job knows it.
    const running = followed.attemptKnown ? undefined : this.#held.running(jobId);
    const attempt = (followed.attempt = running?.attempt ?? followed.attempt + 1);
    followed.attemptKnown ||= running !== undefined;
    // A failed attempt's run time counts from this begin: read even when nobody hears started.
    if (!this.#events.wants('started') && this.#events.wants('failed'))
      followed.told = followed.told.then(() => void readBegin(this.#connection, this.#held, jobId, followed));
    const handBacks = followed.handBacks;
    this.#tell(jobId, followed, 'started', at, async (header) => {
      const begin = (await readBegin(this.#connection, this.#held, jobId, followed)) ?? at.getTime();
      if (followed.handBacks !== handBacks) return undefined; // handed straight back: it never began
      return {
        begin: new Date(begin),
        queuedSeconds: Math.max(0, begin - header.executedAt) / 1000,
        attempt: await readAttempt(this.#connection, jobId, followed, attempt),
      };
    });
  }

  /** An attempt failed and the job waits for the next one: its errorInfo is the last of the record's stack traces. */
  #attemptFailed(jobId: string, followed: Followed, at: Date): void {
    followed.started = false;
    // The attempt counted when its end is read: the record, read later, may count the next one's failure already.
    const failed = followed.attemptKnown ? followed.attempt : undefined;
    this.#tell(jobId, followed, 'failed', at, async () => {
      const begin = followed.begin;
      followed.begin = undefined; // the next attempt has a begin of its own
      const errors = await readAttemptErrors(
        this.#connection,
        jobId,
        followed,
        failed,
        this.#settings.handlersPath,
      );
      const errorInfo = errors[errors.length - 1];
      if (errorInfo === undefined) return undefined; // gone from Redis meanwhile
      const runSeconds = begin === undefined ? 0 : Math.max(0, at.getTime() - begin) / 1000;
      return { runSeconds, errorInfo, attempt: errors.length, willRetry: true };
    });
  }

  /**
   * A job ended: told once, whichever of its events says it first (a cancel's, then its worker's failure). `facts`:
   * what the event says of its begin and end, when it does.
   */
  #ended(
    jobId: string,
    event: 'completed' | 'failed' | 'canceled',
    at: Date,
    facts: Partial<Pick<EndFacts, 'begin' | 'end'>> | undefined,
    rest: () => object,
  ): void {
    const followed = this.#ifOurs(jobId);
    if (followed === undefined || followed.ended) return;
    followed.ended = true;
    this.#tell(jobId, followed, event, at, async () => {
      // A job cancelled before it began may still be taken by a worker, which then yields: it never began.
      const begin =
        event === 'canceled' && !followed.started
          ? undefined
          : (facts?.begin ?? (await readBegin(this.#connection, this.#held, jobId, followed)));
      const end = facts?.end ?? at.getTime();
      const runSeconds = begin === undefined ? undefined : Math.max(0, end - begin) / 1000;
      return { runSeconds: event === 'canceled' ? runSeconds : (runSeconds ?? 0), ...rest() };
    });
  }

  /**
   * A job whose record vanished ended as its worker kept it (see endClaim.ts), read by the re-check: its end event
   * was trimmed from the stream before this instance read it ({@link eventsRead}), and its earlier events with it, so
   * none comes after. Told now, once; a job this
   * instance holds no local job of (`events` = `all`, held elsewhere) is not looked at, and is never told.
   */
  endedUnheard(jobId: string, { state, errorInfo, begin, end }: VanishedEnding): void {
    if (state === BackgroundJobState.Completed)
      return this.#ended(
        jobId,
        'completed',
        end,
        { begin: begin?.getTime(), end: end.getTime() },
        () => ({}),
      );
    this.#endedAs(jobId, state, errorInfo, end, { begin: begin?.getTime(), end: end.getTime() });
  }

  /** A job failed (or a cancel's mark ended it), as its `failed` event or its kept end says. */
  #endedAs(
    jobId: string,
    state: BackgroundJobState,
    errorInfo: ErrorInfo | undefined,
    at: Date,
    facts: Partial<Pick<EndFacts, 'begin' | 'end'>> | undefined,
  ): void {
    if (state === BackgroundJobState.Canceled)
      return this.#ended(jobId, 'canceled', at, undefined, () => ({}));
    this.#ended(jobId, 'failed', at, facts, () => ({
      errorInfo: errorInfo!,
      attempt: Math.max(1, this.#followed.get(jobId)?.attempt ?? 1),
      willRetry: false,
    }));
  }

  /**
   * What this instance follows of a job whose events it tells: every job with `all`, else the jobs it started
   * ({@link executed}) or runs; `undefined` for another's (a job only found here is not this instance's).
   */
  #ifOurs(jobId: string, header?: JobHeader): Followed | undefined {
    const followed = this.#followed.get(jobId);
    if (followed !== undefined) return followed;
    const runsHere = this.#held.running(jobId) !== undefined;
    if (!runsHere && this.#settings.events !== 'all') return undefined;
    const made = this.#follow(jobId, header);
    made.ranHere = runsHere;
    return made;
  }

  /** Emits `event` of the job once its header is known, behind its earlier events. */
  #tell(
    jobId: string,
    followed: Followed,
    event: BackgroundJobsEventName,
    at: Date,
    rest: (header: JobHeader) => object | Promise<object | undefined>,
  ): void {
    // The end's telling lets the worker's job go, told or not: the end is read while earlier events may still be told.
    const lettingGo = followed.ended;
    if (!this.#events.wants(event)) {
      if (lettingGo) followed.told = followed.told.then(() => void (followed.running = undefined));
      return;
    }
    followed.told = followed.told.then(async () => {
      const job = this.#held.local(jobId) ?? this.#held.running(jobId) ?? followed.running;
      if (lettingGo) followed.running = undefined;
      const header = (followed.header ??= await readHeader(this.#connection, jobId));
      if (header === undefined) return; // gone from Redis meanwhile: nothing left to name it by
      const local = followed.executedHere || followed.ranHere;
      const base: JobEventBase = { uuid: jobId, ...fieldsOf(header), at, local, ...(job && { job }) };
      const fields = await rest(header);
      if (fields !== undefined) this.#events.emit(event, { ...base, ...fields } as never); // else gone meanwhile
    });
  }

  #follow(jobId: string, header: JobHeader | undefined): Followed {
    const followed = newFollowed(header);
    this.#followed.set(jobId, followed);
    return followed;
  }
}

/** The fields every event names a job by. */
function fieldsOf({
  methodName,
  key,
  description,
  owner,
}: Pick<JobHeader, 'methodName' | 'key' | 'description' | 'owner'>) {
  return { methodName, key, description, owner };
}

/** When Redis wrote a stream entry: its id's milliseconds. */
function timeOf(streamId: string): Date {
  return new Date(Number(streamId.slice(0, streamId.indexOf('-'))));
}
