import type { Job, Queue, RepeatStrategy, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeBullmq } from './redis/closeBullmq';
import { reconnectDelay } from './redis/connection';
import { redisModules } from './redis/redisModules';
import { firstConnection, storeUnavailable } from './redis/unavailable';
import { checkSchedule } from '../schedules/checkSchedule';
import type { ScheduledJobData } from '../schedules/scheduledJobData';
import type { ScheduleRule } from '../schedules/scheduleRule';
import type { Settings } from '../config/options';
import { localTimeZone } from '../schedules/zonedTime';
import {
  nameTaken,
  type OnTick,
  type Retry,
  type ScheduleStore,
  type StoredScheduledJob,
} from './ScheduleStore';

/** What a tick carries: which scheduled job fired, and for a retry of a failed run, which. */
interface TickData {
  readonly uuid: string;
  readonly retry?: Retry;
}

/** How many fired ticks BullMQ keeps: a tick's id is its due time, and a kept id cannot fire twice. */
const TICKS_KEPT = 100;
const TICK_OPTIONS = { removeOnComplete: { count: TICKS_KEPT }, removeOnFail: { count: TICKS_KEPT } };

/**
 * Scheduled jobs kept in Redis, shared by every instance on the same Redis and queue name. Each schedule in use is
 * a BullMQ job scheduler on a queue of its own (`<queue>-scheduled`): BullMQ adds one delayed "tick" job per run,
 * with the due time in its id, and exactly one worker instance takes it and starts the run. BullMQ computes the
 * next due time with our rule ({@link checkSchedule}), so cron and 1C-style schedules fire as they do in memory.
 */
export class RedisScheduleStore implements ScheduleStore {
  readonly #url: string;
  readonly #redis: Redis;
  readonly #ticks: Queue;
  readonly #worker: Worker | undefined;
  readonly #keys: { readonly data: string; readonly names: string; readonly lastRuns: string };
  /**
   * The rule of each schedule text, for BullMQ asking the next run of each tick: the one written here (which knows
   * its next run already), or parsed once from a scheduler another instance wrote.
   */
  readonly #rules = new Map<string, ScheduleRule>();
  /** Settles once Redis first answers. */
  readonly #connected: Promise<void>;
  #everConnected = false;

  constructor(settings: Settings, onTick: OnTick) {
    const { bullmq, ioredis } = redisModules(settings.store);
    this.#url = settings.store;
    const queueName = `${settings.queueName}-scheduled`;
    const repeatStrategy: RepeatStrategy = (millis, { pattern }) => {
      let checked = this.#rules.get(pattern!);
      if (checked === undefined) {
        checked = checkSchedule(JSON.parse(pattern!));
        this.#rules.set(pattern!, checked);
      }
      return checked.nextRunAfter(new Date(millis))?.getTime();
    };
    // Every connection retries as the job store's do (reconnectDelay): with BullMQ's default, the schedules' worker
    // could come back up to 20 s after Redis, and its runs with it.
    this.#redis = new ioredis.Redis(this.#url, {
      retryStrategy: reconnectDelay,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    this.#connected = new Promise((resolve) =>
      this.#redis.once('ready', () => {
        this.#everConnected = true;
        resolve();
      }),
    );
    this.#ticks = new bullmq.Queue(queueName, {
      connection: { url: this.#url, retryStrategy: reconnectDelay, enableOfflineQueue: false },
      settings: { repeatStrategy },
    });
    this.#keys = {
      data: this.#ticks.toKey('wbj-scheduled'),
      names: this.#ticks.toKey('wbj-scheduled-names'),
      lastRuns: this.#ticks.toKey('wbj-scheduled-last-runs'),
    };
    if (settings.worker) {
      this.#worker = new bullmq.Worker(
        queueName,
        async (tick: Job<TickData>) => {
          const { uuid, retry } = tick.data;
          if (retry !== undefined) return onTick(uuid, new Date(tick.timestamp + tick.delay), retry);
          // BullMQ names each tick after the time it was due: repeat:<scheduler>:<due ms>.
          const due = Number(tick.id?.split(':').pop());
          await onTick(uuid, new Date(Number.isFinite(due) ? due : tick.timestamp));
        },
        {
          connection: { url: this.#url, retryStrategy: reconnectDelay },
          settings: { repeatStrategy },
          concurrency: 10,
          // A tick whose instance died is not taken again: the run it started, if any, is a job like any other.
          maxStalledCount: 0,
        },
      );
    }
    // The job store on the same Redis logs an outage once; these connections only retry.
    const ignore = (): void => {};
    this.#redis.on('error', ignore);
    this.#ticks.on('error', ignore);
    this.#worker?.on('error', ignore);
  }

  async write(data: ScheduledJobData, schedule: ScheduleRule): Promise<void> {
    await this.#call('write', async () => {
      const name = data.name.toLowerCase();
      if ((await this.#redis.hsetnx(this.#keys.names, name, data.uuid)) === 0) {
        const holder = await this.#redis.hget(this.#keys.names, name);
        if (holder !== data.uuid) throw nameTaken(data.name, holder ?? '(unknown)');
      }
      await this.#redis.hset(this.#keys.data, data.uuid, JSON.stringify(data));
      if (!data.use) {
        await this.#ticks.removeJobScheduler(data.uuid);
        return;
      }
      // Without a timezone of its own, a schedule reads in this instance's zone on every instance.
      const pattern = JSON.stringify({ timezone: localTimeZone(), ...schedule.schedule });
      if (!this.#rules.has(pattern)) this.#rules.set(pattern, schedule); // read in the same zone
      // The same declaration on ten instances is one schedule: an identical scheduler is left as it is.
      const current = await this.#ticks.getJobScheduler(data.uuid);
      if (current?.pattern === pattern && current.next) return;
      await this.#ticks.upsertJobScheduler(
        data.uuid,
        { pattern },
        {
          name: data.name,
          data: { uuid: data.uuid } satisfies TickData,
          opts: { ...TICK_OPTIONS },
        },
      );
    });
  }

  /**
   * A delayed tick on the same queue, taken by one worker instance. Its id names the failed run, and BullMQ adds no
   * job whose id it holds, so the instance that saw the failure, or any other, cannot start a retry twice.
   */
  async retry(uuid: string, retry: Retry, due: Date): Promise<void> {
    await this.#call('retry', async () => {
      await this.#ticks.add('retry', { uuid, retry } satisfies TickData, {
        ...TICK_OPTIONS,
        jobId: `retry-${retry.of}`,
        delay: Math.max(due.getTime() - Date.now(), 0),
      });
    });
  }

  async delete(uuid: string): Promise<boolean> {
    return this.#call('delete', async () => {
      const stored = await this.#redis.hget(this.#keys.data, uuid);
      if (stored === null) return false;
      const name = (JSON.parse(stored) as ScheduledJobData).name.toLowerCase();
      await this.#ticks.removeJobScheduler(uuid);
      await this.#redis
        .multi()
        .hdel(this.#keys.data, uuid)
        .hdel(this.#keys.lastRuns, uuid)
        .eval(
          // The name goes only if it is still this job's.
          "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0",
          1,
          this.#keys.names,
          name,
          uuid,
        )
        .exec();
      return true;
    });
  }

  async get(uuid: string): Promise<StoredScheduledJob | undefined> {
    return this.#call('findByUUID', async () => {
      const [data, lastJobUuid] = await Promise.all([
        this.#redis.hget(this.#keys.data, uuid),
        this.#redis.hget(this.#keys.lastRuns, uuid),
      ]);
      return data === null
        ? undefined
        : { data: JSON.parse(data) as ScheduledJobData, lastJobUuid: lastJobUuid ?? undefined };
    });
  }

  async list(): Promise<StoredScheduledJob[]> {
    return this.#call('get', async () => {
      const [all, lastRuns] = await Promise.all([
        this.#redis.hgetall(this.#keys.data),
        this.#redis.hgetall(this.#keys.lastRuns),
      ]);
      return Object.entries(all)
        .map(([uuid, data]) => ({ data: JSON.parse(data) as ScheduledJobData, lastJobUuid: lastRuns[uuid] }))
        .sort((a, b) => a.data.name.localeCompare(b.data.name));
    });
  }

  async recordRun(uuid: string, jobUuid: string): Promise<void> {
    await this.#call('recordRun', () => this.#redis.hset(this.#keys.lastRuns, uuid, jobUuid));
  }

  async close(): Promise<void> {
    // A worker that never reached Redis has nothing running and closes only by force.
    // The worker first: a run it is finishing may still add its retry to the queue.
    if (this.#worker !== undefined) await closeBullmq([this.#worker], this.#redis, !this.#everConnected);
    await closeBullmq([this.#ticks], this.#redis);
    this.#redis.disconnect();
  }

  /** Runs `body` once connected (waiting briefly for a new store's first connection); Redis errors name the call. */
  async #call<T>(caller: string, body: () => Promise<T>): Promise<T> {
    try {
      if (this.#redis.status !== 'ready' && !this.#everConnected) await firstConnection(this.#connected);
      if (this.#redis.status !== 'ready')
        throw storeUnavailable(undefined, `scheduledJobs ${caller}`, this.#url);
      return await body();
    } catch (error) {
      throw storeUnavailable(error, `scheduledJobs ${caller}`, this.#url);
    }
  }
}
