import type { Queue, QueueEvents, RedisClient } from 'bullmq';
import type { Settings } from '../../config/options';
import type { StoreOutages } from '../JobStore';
import { BackgroundJobsError } from '../../errors';
import type { LogError } from '../../runners/JobExecutor';
import { firstConnection, redactedUrl, storeUnavailable } from './unavailable';
import { closeBullmq } from './closeBullmq';
import { type ChangeLogClient, withChangeLog } from './changeLog';
import { type ReadJobsClient, withReadJobs } from './reads';
import { redisModules } from './redisModules';

/**
 * When each connection tries again after losing Redis: soon, and every second at most, on every connection alike.
 * BullMQ's own default waits a second at least and up to 20 s: a worker back that late finds its jobs' locks lapsed,
 * and execute would fail on for a while after Redis is back.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 50, 1000);
}

/** What the connections tell the rest of the store. */
export interface ConnectionEvents {
  /** QueueEvents listens, once Redis first answers: add the listeners. */
  readonly listening: (events: QueueEvents) => void;
  /** Redis is back after an outage that was logged. */
  readonly back: () => void;
}

/**
 * The Redis connections of a job store other than its worker's, and what an outage does: each failure is noted (a
 * lock lapsed since then lapsed in an outage), logged once per outage, and calls fail with `WBJ_STORE_UNAVAILABLE`
 * until Redis is back; a new store waits briefly for its first connection.
 */
export class RedisConnection {
  readonly queue: Queue;
  /** Our own connection, for the end claims and batched reads BullMQ has no call for. */
  readonly redis: ReadJobsClient & ChangeLogClient;
  /** `bull:<queue>:`, which every key of a job starts with. */
  readonly keyPrefix: string;
  readonly #settings: Settings;
  readonly #logError: LogError;
  readonly #warn: (line: string) => void;
  /** Made once Redis first answers: BullMQ cannot close a QueueEvents that never connected. */
  #events: QueueEvents | undefined;
  /** Settles once the first connection is made and QueueEvents listens (or at once, if Redis is not there). */
  readonly #firstConnection: Promise<void>;
  #everConnected = false;
  /** Whether the current loss of Redis has been logged already (one line per outage, not per retry). */
  #outageLogged = false;
  /** When a connection of this instance last failed (ms): a lock lapsed since then lapsed in an outage. */
  #lastFailure = 0;
  /** Since when our own connection has been lost (ms), and how long its past losses lasted: for the metrics. */
  #lostSince: number | undefined;
  #lostMs = 0;
  #closing = false;
  /** The queue's own connection, once BullMQ has made it. */
  #queueClient: RedisClient | undefined;

  constructor(settings: Settings, logError: LogError, warn: (line: string) => void, on: ConnectionEvents) {
    this.#settings = settings;
    this.#logError = logError;
    this.#warn = warn;
    const url = settings.store;
    const { bullmq, ioredis } = redisModules(url);
    // enableOfflineQueue false: while Redis is unreachable, commands fail at once instead of piling up, so
    // execute can say so. BullMQ's worker and events connections retry on their own.
    this.redis = withChangeLog(
      withReadJobs(
        new ioredis.Redis(url, {
          retryStrategy: reconnectDelay,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          enableAutoPipelining: true,
        }),
      ),
    );
    this.queue = new bullmq.Queue(settings.queueName, {
      connection: { url, retryStrategy: reconnectDelay, enableOfflineQueue: false },
    });
    this.keyPrefix = this.queue.toKey('');
    const outage = (error: unknown): void => this.outage(error);
    this.redis.on('error', outage);
    this.queue.on('error', outage);
    // Back once both connections the calls use are: each reconnects on its own time (a second apart at most), and
    // the queue's sends nothing while it is away (no offline queue), so a call made between the two would fail.
    const ready = (): void => {
      if (!this.#answering) return;
      this.#reconnected();
      this.#recovered(on.back);
    };
    this.redis.on('ready', ready);
    void this.queue.getBackend().connection.client.then(
      (client) => {
        this.#queueClient = client;
        client.on('ready', ready);
      },
      () => {}, // closed before it first connected
    );
    this.redis.on('close', () => {
      this.failed();
      if (!this.#closing) this.#lostSince ??= Date.now();
    });
    this.#firstConnection = new Promise((resolve) => this.redis.once('ready', resolve)).then(() =>
      this.#listen(on.listening),
    );
  }

  /** Whether Redis ever answered: a worker that never reached it has nothing running. */
  get everConnected(): boolean {
    return this.#everConnected;
  }

  /** How long our own connection to Redis has been lost, now and before: what `wbj_store_unavailable` reads. */
  get outages(): StoreOutages {
    return { since: this.#lostSince, pastMs: this.#lostMs };
  }

  #reconnected(): void {
    if (this.#lostSince === undefined) return;
    this.#lostMs += Date.now() - this.#lostSince;
    this.#lostSince = undefined;
  }

  /** When a connection of this instance last failed (ms since the epoch; 0: never). */
  get lastFailure(): number {
    return this.#lastFailure;
  }

  /**
   * Starts QueueEvents from the end of the event stream as it is now, before this store adds any job: with
   * BullMQ's default ("from whenever the blocking read begins"), the first events of a new store could be lost.
   */
  async #listen(listening: ConnectionEvents['listening']): Promise<void> {
    if (this.#closing) return;
    let lastEventId = '$';
    try {
      const [last] = await this.redis.xrevrange(this.queue.keys.events, '+', '-', 'COUNT', 1);
      lastEventId = last?.[0] ?? '0-0';
    } catch {
      // Redis went away again: listen from whenever it is back; the re-check covers the gap.
    }
    if (this.#closing) return;
    const { QueueEvents } = redisModules(this.#settings.store).bullmq;
    const events = new QueueEvents(this.#settings.queueName, {
      connection: { url: this.#settings.store, retryStrategy: reconnectDelay },
      lastEventId,
    });
    events.on('error', (error) => this.outage(error));
    listening(events);
    this.#events = events;
    this.#everConnected = true;
  }

  /** Whether calls can go to Redis now, with nothing to wait for: {@link connected} would resolve at once. */
  get ready(): boolean {
    return !this.#closing && this.#answering;
  }

  /** Waits for the first connection of a new store (briefly); afterwards, a lost connection fails at once. */
  async connected(caller: string): Promise<void> {
    if (this.#closing && caller !== 'cancel') {
      throw new BackgroundJobsError(
        'WBJ_CLOSED',
        `${caller} was called after close(): this manager has closed its Redis connections`,
      );
    }
    if (this.redis.status !== 'ready' && !this.#everConnected) await firstConnection(this.#firstConnection);
    if (!this.#answering) throw this.unavailable(undefined, caller);
  }

  /** Whether our own connection and the queue's both answer (the queue's, once it first connected). */
  get #answering(): boolean {
    return this.redis.status === 'ready' && (this.#queueClient?.status ?? 'ready') === 'ready';
  }

  /** The error `caller` rejects with when Redis failed it. */
  unavailable(error: unknown, caller: string): BackgroundJobsError {
    return storeUnavailable(error, caller, this.#settings.store);
  }

  /** A connection lost Redis: logged once for the whole outage. */
  outage(error: unknown): void {
    this.failed();
    if (this.#outageLogged || this.#closing) return;
    this.#outageLogged = true;
    this.#logError(
      `[web-background-jobs] Lost the Redis store ${redactedUrl(this.#settings.store)}; retrying. Until it is back, execute() fails with WBJ_STORE_UNAVAILABLE`,
      error,
    );
  }

  /**
   * BullMQ's worker reports its lost connections (in an outage, logged once) and the commands Redis refused, such as
   * storing the end of a job whose record vanished: those are logged as they come.
   */
  workerError(error: Error): void {
    if (this.redis.status !== 'ready') return this.outage(error);
    // Its own connection alone dropped (one line each time), or Redis refused a command
    if ((error as NodeJS.ErrnoException).syscall !== undefined) this.failed();
    this.#logError(
      `[web-background-jobs] The worker of queue ${JSON.stringify(this.#settings.queueName)} reported: ${error.message}`,
      error,
    );
  }

  /** A connection of this instance failed now. */
  failed(): void {
    this.#lastFailure = Date.now();
  }

  #recovered(back: ConnectionEvents['back']): void {
    if (!this.#outageLogged) return;
    this.#outageLogged = false;
    this.#warn(`[web-background-jobs] The Redis store ${redactedUrl(this.#settings.store)} is back`);
    back();
  }

  /** From now on calls but a cancel fail with `WBJ_CLOSED`, and an outage is no longer logged. */
  closing(): void {
    this.#closing = true;
  }

  /** Closes every connection; the store is closing. Settles whether Redis answers or not. */
  async close(): Promise<void> {
    await closeBullmq(this.#events === undefined ? [this.queue] : [this.#events, this.queue], this.redis);
    this.redis.disconnect();
  }
}
