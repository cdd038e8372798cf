import { types } from 'node:util';
import type { JobsOptions, QueueEvents } from 'bullmq';
import type { Settings } from '../config/options';
import { BackgroundJobsError, messageOf } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { newJobUuid } from '../jobs/jobUuid';
import type { JobTest } from '../jobs/jobFilter';
import { findUnstorableParam, STORABLE_DATA } from '../jobs/storable';
import {
  type JobDetailsData,
  type JobRequest,
  type JobStore,
  type JobSummaryData,
  jobStillActive,
  keyConflict,
  keyConflictAction,
  type MessagePage,
  type StoreContext,
  type StoreOutages,
} from './JobStore';
import { AddBatch } from './redis/addBatch';
import { cancelThroughRedis, onCancelRequest } from './redis/cancel';
import { RedisConnection } from './redis/connection';
import { KeyReplacer, type Replacement } from './redis/replaceHolder';
import { RedisJobEvents } from './redis/jobEvents';
import { finishedKept, jobOptions } from './redis/jobOptions';
import { LocalJobs } from './redis/localJobs';
import { readJobs } from './redis/reads';
import { Recheck } from './redis/recheck';
import { type JobData, type JobHeader, snapshotOf } from './redis/record';
import { JobSummaries, storedDetails } from './redis/summaries';
import { redisModules } from './redis/redisModules';
import { track } from './redis/inFlight';
import { RedisWorker } from './redis/worker';

/**
 * How many times execute with onKeyConflict 'join' or 'replace' looks again at a key whose holder changed under it
 * (ended, or replaced by another execute) before it gives up with WBJ_KEY_CONFLICT.
 */
const KEY_RACE_TRIES = 5;

/**
 * Jobs held in Redis through BullMQ, shared by every instance on the same Redis and queue name: a job executed on
 * one instance is found, awaited and cancelled from any other, and run by whichever instance's worker takes it.
 * This class puts together the parts in `redis/`, whose words mean:
 *
 * - **record**: a job as Redis holds it, a BullMQ job whose `name` is our header (record.ts, read by reads.ts);
 * - **local job**: the `BackgroundJob` this process hands to callers for a job, kept up to date from its record by
 *   QueueEvents, with a re-check every `checkInterval` for anything an event missed (localJobs.ts, recheck.ts);
 * - **running job**: the `BackgroundJob` this instance's worker runs a job's handler on (worker.ts);
 * - **end claim**: a key per job that a cancel and the job's worker race to set; the first ends the job (endClaim.ts,
 *   cancel.ts), since BullMQ cannot cancel a job that is waiting or held by another process.
 *
 * The key rule is BullMQ's deduplication (one atomic script), keyed by the handler's path inside the handlers folder
 * and the job key. Redis going away delays how a job ends, never changes it (connection.ts, and the worker's lock).
 */
export class RedisJobStore implements JobStore {
  readonly #settings: Settings;
  readonly #connection: RedisConnection;
  readonly #localJobs: LocalJobs;
  readonly #worker: RedisWorker | undefined;
  readonly #summaries: JobSummaries;
  readonly #recheck: Recheck;
  readonly #adds: AddBatch;
  readonly #replacer: KeyReplacer;
  readonly #jobEvents: RedisJobEvents;
  /** How many finished jobs BullMQ keeps: see {@link finishedKept}. */
  readonly #keep: JobsOptions['removeOnComplete'];
  /** The jobs `execute` is adding: not in Redis yet, so not lost either. */
  readonly #beingAdded = new Set<string>();
  #closing: Promise<void> | undefined;

  constructor(context: StoreContext) {
    const { settings, logError, warn } = context;
    this.#settings = settings;
    this.#keep = finishedKept(settings);
    this.#connection = new RedisConnection(settings, logError, warn, {
      listening: (events) => this.#follow(events),
      back: () => void this.#recheck.run(true),
    });
    const connection = this.#connection;
    this.#adds = new AddBatch(connection.queue, settings.store);
    this.#replacer = new KeyReplacer(connection.queue, redisModules(settings.store).bullmq.Job);
    this.#localJobs = new LocalJobs(settings, connection, context.scheduledJobFrom, (job) =>
      cancelThroughRedis(job, { settings, logError, connection, localJobs: this.#localJobs }),
    );
    if (settings.worker) {
      this.#worker = new RedisWorker(context, connection, {
        taken: (uuid, begin) => this.#localJobs.active(uuid)?.markStarted(begin),
        began: (running, executedAt) => this.#jobEvents.ranHere(running, executedAt),
        handedBack: (uuid) => this.#jobEvents.handedBack(uuid),
      });
    }
    this.#jobEvents = new RedisJobEvents(settings, context.events, connection, {
      local: (uuid) => this.#localJobs.active(uuid) ?? this.#localJobs.finished(uuid),
      running: (uuid) => this.#worker?.running(uuid),
    });
    this.#summaries = new JobSummaries(settings, connection);
    this.#recheck = new Recheck({
      settings,
      logError,
      connection,
      localJobs: this.#localJobs,
      worker: this.#worker,
      jobEvents: this.#jobEvents,
      beingAdded: this.#beingAdded,
    });
  }

  /** QueueEvents listens: local jobs follow it, and a job cancelled elsewhere stops if it runs here. */
  #follow(events: QueueEvents): void {
    this.#localJobs.follow(events);
    this.#jobEvents.follow(events);
    onCancelRequest(events, (jobId) => {
      this.#worker?.cancelHeard(jobId);
      void this.#localJobs.refresh([jobId]);
    });
  }

  get threadCount(): number {
    return this.#worker?.threadCount ?? 0;
  }

  get threadCrashes(): number {
    return this.#worker?.threadCrashes ?? 0;
  }

  get outages(): StoreOutages {
    return this.#connection.outages;
  }

  /** As JSON data, once the check has found nothing else in them: what Redis will hold, copied by JSON itself. */
  copyParams(params: readonly unknown[]): unknown[] {
    // No parameters (a Proxy's length could say anything): nothing to look at or copy.
    if (params.length === 0 && Array.isArray(params) && !types.isProxy(params)) return [];
    let unstorable = findUnstorableParam(params);
    if (unstorable === undefined) {
      try {
        return JSON.parse(JSON.stringify(params)) as unknown[];
      } catch (error) {
        // A getter that answered the check and then threw: the check never throws, a second reading may.
        unstorable = `params could not be copied (${messageOf(error)})`;
      }
    }
    throw new BackgroundJobsError(
      'WBJ_PARAM_NOT_STORABLE',
      `${unstorable}, which Redis cannot store. A Redis store takes ${STORABLE_DATA}`,
    );
  }

  async start(request: JobRequest): Promise<BackgroundJob> {
    const { methodName, key, description, scheduledJob, ancestors, owner, trace } = request;
    const uuid = newJobUuid();
    const header: JobHeader = {
      methodName,
      key,
      description,
      executedAt: performance.timeOrigin + performance.now(),
      ...(scheduledJob && { scheduledJob: scheduledJob.toJSON() }),
      ...(owner !== undefined && { owner }),
    };
    const data: JobData = {
      ...header,
      params: request.params,
      timeoutSeconds: request.timeoutSeconds,
      ...(ancestors !== undefined && ancestors.length > 0 && { ancestors }),
      ...(trace !== undefined && { trace }),
    };
    // Registered before the job exists in Redis, so that no event about it can come first and be missed.
    const local = this.#localJobs.of(uuid, header);
    this.#jobEvents.executed(uuid, header);
    this.#beingAdded.add(uuid);
    try {
      if (!this.#connection.ready) await this.#connection.connected('execute');
      // The header as the job's name: written with the job in BullMQ's one script, and read without the params.
      // Sent with the other executes of this tick, in one round trip.
      const job = {
        name: JSON.stringify(header),
        data,
        opts: jobOptions(request, uuid, this.#keep, this.#settings.handlersPath),
      };
      const adding = this.#adds
        .add(job.name, data, job.opts)
        // Another job holds the key (the add deduplicated this one): the rule of onKeyConflict decides.
        .then((id) => (id === uuid ? undefined : this.#keyHolder(request, job, id)));
      // Noted as in flight until execute resolves: a worker here taking the job first waits for it, so that execute's
      // caller can cancel it (see inFlight.ts), a replace's too.
      const holder = await track(this.#connection.queue, uuid, 'add', adding);
      if (holder !== undefined) {
        this.#localJobs.forget(uuid);
        this.#jobEvents.forget(uuid);
        return holder;
      }
    } catch (error) {
      this.#localJobs.forget(uuid);
      this.#jobEvents.forget(uuid);
      throw this.#connection.unavailable(error, `execute(${JSON.stringify(methodName)})`);
    } finally {
      this.#beingAdded.delete(uuid);
    }
    return local;
  }

  /**
   * After the add that answered `id`: nothing when `id` is the job's own (it holds its key); else the key rule of
   * `request.onKeyConflict` on the job `id` holding the key: the conflict, the holder to join, or the holder
   * replaced (atomically, see replaceHolder.ts), again with each job that takes the key first, a few times at most.
   */
  async #keyHolder(
    request: JobRequest,
    job: Omit<Replacement, 'opts'> & { readonly opts: JobsOptions & { readonly jobId: string } },
    id: string,
  ): Promise<BackgroundJob | undefined> {
    const { methodName, key } = request;
    for (let tries = 1; id !== job.opts.jobId; tries += 1) {
      // 1C's rule costs no read: only join and replace look at the holder.
      if ((request.onKeyConflict ?? 'reject') === 'reject' || tries > KEY_RACE_TRIES)
        throw keyConflict(id, methodName, key);
      const [stored] = await this.#localJobs.read([id]);
      const holder = stored && this.#localJobs.fromStored(stored);
      // Gone or ended meanwhile: its key is free, or is about to be.
      if (
        holder === undefined ||
        (holder.state !== BackgroundJobState.Active && request.onKeyConflict === 'join')
      ) {
        id = await this.#adds.add(job.name, job.data, job.opts);
        continue;
      }
      const action = keyConflictAction(request, holder.owner);
      if (action === 'reject') throw keyConflict(id, methodName, key);
      if (action === 'join') return holder;
      id = await this.#replacer.replace(id, job as Replacement);
      if (id === job.opts.jobId) await this.#localJobs.refresh([holder.uuid]); // it reads Canceled here at once
    }
    return undefined;
  }

  get(uuid: string): Promise<BackgroundJob | undefined> {
    return this.#whenConnected('findByUUID', async () => {
      const [stored] = await this.#localJobs.read([uuid]);
      return stored && this.#localJobs.fromStored(stored);
    });
  }

  list(matches: JobTest): Promise<BackgroundJob[]> {
    return this.#whenConnected('getBackgroundJobs', async () => {
      // Tested on their summaries first: only the jobs that pass are read in full, and of those only the ones
      // without a finished local job here (a finished job takes no later change).
      const passed = await this.#summaries.list(matches);
      const jobs = new Map(passed.map(({ uuid }) => [uuid, this.#localJobs.finished(uuid)]));
      const unread = passed.map(({ uuid }) => uuid).filter((uuid) => jobs.get(uuid) === undefined);
      for (const stored of await this.#localJobs.read(unread))
        jobs.set(stored.id, this.#localJobs.fromStored(stored));
      return [...jobs.values()].filter((job): job is BackgroundJob => job !== undefined && matches(job));
    });
  }

  summaries(matches: JobTest): Promise<JobSummaryData[]> {
    return this.#whenConnected('The jobs dashboard', () => this.#summaries.list(matches));
  }

  details(uuid: string, { offset, limit }: MessagePage): Promise<JobDetailsData | undefined> {
    return this.#whenConnected('The jobs dashboard', async () => {
      const read = { id: uuid, firstLog: -(offset + limit), lastLog: -(offset + 1) }; // LRANGE from the newest
      const { redis, keyPrefix } = this.#connection;
      const [stored] = await readJobs(redis, keyPrefix, [read], 'full');
      return stored && storedDetails(stored, this.#settings);
    });
  }

  async clear(): Promise<void> {
    const { queue } = this.#connection;
    // BullMQ keeps a finished job as completed or failed (a cancel is a failure with our mark); grace 0 and no
    // limit: every one of them, whichever instance ran it.
    await this.#whenConnected('clear', () =>
      Promise.all([queue.clean(0, 0, 'completed'), queue.clean(0, 0, 'failed')]),
    );
    this.#localJobs.clearFinished();
    this.#summaries.clearFinished();
  }

  remove(uuid: string): Promise<boolean> {
    return this.#whenConnected('The jobs dashboard', async () => {
      const [stored] = await this.#localJobs.read([uuid]);
      if (stored === undefined) return false;
      const { state } = snapshotOf(stored, this.#settings);
      // BullMQ removes a job in one script, with its log, unless a worker holds it (1 removed, 0 locked): a job
      // cancelled while running stays until its handler has stopped.
      if (state === BackgroundJobState.Active || (await this.#connection.queue.remove(uuid)) === 0)
        throw jobStillActive(uuid, stored.header.methodName);
      this.#localJobs.forget(uuid);
      return true;
    });
  }

  paramsOf(uuid: string): Promise<unknown[] | undefined> {
    return this.#whenConnected('The jobs dashboard', async () => {
      const { redis, keyPrefix } = this.#connection;
      const data = await redis.hget(`${keyPrefix}${uuid}`, 'data');
      return data === null ? undefined : (JSON.parse(data) as JobData).params;
    });
  }

  stopTaking(): void {
    this.#worker?.stopTaking();
  }

  close(graceSeconds: number): Promise<void> {
    return (this.#closing ??= this.#shutDown(graceSeconds));
  }

  async #shutDown(graceSeconds: number): Promise<void> {
    this.#connection.closing();
    this.#recheck.stop();
    const ranHere = (await this.#worker?.stop(graceSeconds, !this.#connection.everConnected)) ?? [];
    // Their ends are stored now: the local jobs here say so before the connections close, events or not.
    await this.#localJobs.refresh(ranHere);
    await this.#worker?.closeThreads();
    await this.#connection.close();
  }

  /** `call` once connected; any failure rejects as `caller`'s, `WBJ_STORE_UNAVAILABLE` unless it is ours. */
  async #whenConnected<T>(caller: string, call: () => Promise<T>): Promise<T> {
    try {
      await this.#connection.connected(caller);
      return await call();
    } catch (error) {
      throw this.#connection.unavailable(error, caller);
    }
  }
}
