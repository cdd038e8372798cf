import path from 'node:path';
import type {
  Job,
  JobsOptions,
  JobType,
  Queue,
  RedisClient,
  QueueEvents,
  QueueEventsListener,
  QueueEventsProducer,
  Worker,
} from 'bullmq';
import { v4 as uuidV4 } from 'uuid';
import { DEFAULTS, type Settings } from '../config/options';
import { BackgroundJobsError, messageOf } from '../errors';
import { BackgroundJob, BUILT_BY_MANAGER, type JobReport } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { type ErrorInfo, errorInfoFrom } from '../jobs/errorInfo';
import { JobExecutor, type LogError } from '../runners/JobExecutor';
import { ended, waitForExecutionCompletion } from '../jobs/waits';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import type { JobTest } from '../jobs/jobFilter';
import {
  type JobDetailsData,
  type JobRequest,
  type JobStore,
  type JobSummaryData,
  keyConflict,
  type MessagePage,
  type StoreContext,
} from './JobStore';
import { type JobRead, type ReadJobsClient, readJobs, withReadJobs } from './redisReads';
import {
  decodeFailure,
  encodeFailure,
  type JobData,
  type JobHeader,
  snapshotFromEvent,
  snapshotOf,
  type StoredJob,
  type StoredResult,
  storedDetails,
  storedProgress,
  storedSummary,
  vanishedEnding,
  jobLost,
  messageLine,
  remoteErrorInfo,
  workerLost,
} from './redisRecord';
import { holdJob, withHoldJob } from './jobLock';
import { firstConnection, redactedUrl, storeUnavailable } from './redisUnavailable';
import { findUnstorable, findUnstorableParam, STORABLE_DATA } from '../jobs/storable';

/** The custom QueueEvents event that asks the instance running a job to stop it. */
const CANCEL_EVENT = 'wbj:cancel';
/** How long a job's "finished" decision outlives it: any cancel arriving later finds the job finished anyway. */
const DECISION_TTL_MS = 60_000;

/** A job's summary, with when it was executed, which lists are ordered by. */
interface ListedSummary {
  readonly executedAt: number;
  readonly summary: JobSummaryData;
}

/**
 * When each connection tries again after losing Redis: soon, and every second at most, on every connection alike.
 * BullMQ's own default waits a second at least and up to 20 s: a worker back that late finds its jobs' locks lapsed,
 * and execute would fail on for a while after Redis is back.
 */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 50, 1000);
}

/** What a re-check finds; see `#look`. */
interface Recheck {
  readonly outdated: string[];
  readonly canceled: string[];
  /** Jobs whose record is gone, with their decision (`null` when none). */
  readonly vanished: Map<string, string | null>;
}

/** Why BullMQ gave up a job running here; see `#lostHere`. */
interface LostHere {
  readonly cutOff: boolean;
  readonly error: BackgroundJobsError;
  readonly errorInfo: ErrorInfo;
}

/** QueueEvents' listeners, with our cancel request. */
interface CancelListener extends QueueEventsListener {
  [CANCEL_EVENT]: (args: { jobId: string }, id: string) => void;
}

/**
 * Jobs held in Redis through BullMQ, shared by every instance on the same Redis and queue name: a job executed on
 * one instance is found, awaited and cancelled from any other, and run by whichever instance's worker takes it.
 *
 * - The key rule is BullMQ's deduplication (one atomic script), keyed by the handler's path inside the handlers
 *   folder and the job key.
 * - A job's end (finished by its worker, or cancelled from anywhere) is decided once, by `SET NX` on one key per
 *   job, since BullMQ cannot cancel a job that is waiting or held by another process.
 * - Jobs returned here are copies that QueueEvents keeps up to date, with a re-check every `checkInterval`
 *   for anything an event missed, and for records that vanished from Redis (such a job fails `WBJ_JOB_LOST`).
 * - Redis going away delays how a job ends, never changes it: a job's run waits for Redis on the worker's own
 *   connection, and takes its lock again if it lapsed meanwhile (or says why BullMQ gave the job up).
 */
export class RedisJobStore implements JobStore {
  readonly #settings: Settings;
  readonly #logError: LogError;
  readonly #warn: (line: string) => void;
  readonly #resolve: (methodName: string) => Promise<ResolvedHandler>;
  readonly #scheduledJobFrom: StoreContext['scheduledJobFrom'];
  readonly #queue: Queue;
  /** `bull:<queue>:`, which every key of a job starts with. */
  readonly #keyPrefix: string;
  /** Made once Redis first answers: BullMQ cannot close a QueueEvents that never connected. */
  #events: QueueEvents | undefined;
  readonly #producer: QueueEventsProducer;
  /** Our own connection, for the decisions and batched reads BullMQ has no call for. */
  readonly #redis: ReadJobsClient;
  readonly #worker: Worker | undefined;
  readonly #executor: JobExecutor | undefined;
  readonly #recheck: NodeJS.Timeout | undefined;
  /** Copies of active jobs handed out by this store, kept up to date until they finish. */
  readonly #views = new Map<string, BackgroundJob>();
  /** Copies of finished jobs, so that finding one again gives the same object; the oldest beyond history go. */
  readonly #finishedViews = new Map<string, BackgroundJob>();
  /** Summaries of finished jobs read by a list, by UUID: the next list reads only the others. */
  #finishedSummaries = new Map<string, ListedSummary>();
  /** The jobs this instance's worker is running, by UUID. */
  readonly #running = new Map<string, BackgroundJob>();
  /** The BullMQ lock token of each job this instance's worker is running. */
  readonly #tokens = new Map<string, string>();
  /** Jobs seen on the last re-check as handed to this worker and unknown to it, with their lock token. */
  #strays = new Map<string, string>();
  /** The jobs `execute` is adding: not in Redis yet, so not lost either. */
  readonly #adding = new Set<string>();
  /** Settles once the first connection is made and QueueEvents listens (or at once, if Redis is not there). */
  readonly #firstConnection: Promise<void>;
  #everConnected = false;
  /** Whether the current loss of Redis has been logged already (one line per outage, not per retry). */
  #outageLogged = false;
  /** When a connection of this instance last failed (ms): a lock lapsed since then lapsed in an outage. */
  #lastConnectionFailure = 0;
  #closing: Promise<void> | undefined;
  /** Set once close() has given the grace: every job this instance's worker still runs, or takes, is cancelled. */
  #stopping = false;
  /**
   * The worker's own connection, for the commands of a job's run: while Redis is away they wait there, and then go
   * through before BullMQ stores the job's end on that same connection. An outage delays how a job ends, never
   * changes it.
   */
  #workerConnection: Promise<RedisClient> | undefined;

  constructor({ settings, logError, warn, manager, resolve, scheduledJobFrom }: StoreContext) {
    this.#settings = settings;
    this.#scheduledJobFrom = scheduledJobFrom;
    this.#logError = logError;
    this.#warn = warn;
    this.#resolve = resolve;
    const bullmq = require('bullmq') as typeof import('bullmq');
    const IORedis = require('ioredis') as typeof import('ioredis');
    const url = settings.store;
    // enableOfflineQueue false: while Redis is unreachable, commands fail at once instead of piling up, so
    // execute can say so. BullMQ's worker and events connections retry on their own.
    this.#redis = withReadJobs(
      new IORedis.Redis(url, {
        retryStrategy: reconnectDelay,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        enableAutoPipelining: true,
      }),
    );
    this.#queue = new bullmq.Queue(settings.queueName, {
      connection: { url, retryStrategy: reconnectDelay, enableOfflineQueue: false },
    });
    this.#producer = new bullmq.QueueEventsProducer(settings.queueName, {
      connection: { url, retryStrategy: reconnectDelay },
    });
    this.#keyPrefix = this.#queue.toKey('');
    const outage = (error: unknown): void => this.#outage(error);
    this.#redis.on('error', outage);
    this.#queue.on('error', outage);
    this.#producer.on('error', outage);
    this.#redis.on('ready', () => this.#recovered());
    this.#redis.on('close', () => this.#connectionFailed());
    this.#firstConnection = new Promise((resolve) => this.#redis.once('ready', resolve)).then(() =>
      this.#listen(),
    );
    if (settings.worker) {
      this.#executor = new JobExecutor(settings, logError, manager);
      const lockMs = settings.lostWorkerSeconds * 1000;
      const processor = (job: Job, token?: string) => this.#process(job as Job<JobData>, token!);
      this.#worker = new bullmq.Worker(settings.queueName, processor, {
        connection: { url, retryStrategy: reconnectDelay },
        concurrency: Number.isFinite(settings.maxConcurrency)
          ? settings.maxConcurrency
          : DEFAULTS.redisInlineConcurrency,
        // 1C fails the jobs of a crashed session: a job whose worker stops renewing its lock fails at once,
        // never silently runs again.
        maxStalledCount: 0,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        // Renewed five times a lock's life (BullMQ: twice), so that a Redis outage shorter than 4/5 of
        // jobsLostWorkerSeconds lapses no lock: its jobs go on as if nothing had happened.
        lockRenewTime: lockMs / 5,
      });
      this.#worker.on('error', (error) => this.#workerError(error));
      this.#worker.on('lockRenewalFailed', (ids) => void this.#holdLocks(ids));
    }
    if (settings.checkInterval > 0) {
      this.#recheck = setInterval(() => void this.#recheckAll(), settings.checkInterval);
      this.#recheck.unref();
    }
  }

  /**
   * Starts QueueEvents from the end of the event stream as it is now, before this store adds any job: with
   * BullMQ's default ("from whenever the blocking read begins"), the first events of a new store could be lost.
   */
  async #listen(): Promise<void> {
    if (this.#closing !== undefined) return;
    let lastEventId = '$';
    try {
      const [last] = await this.#redis.xrevrange(this.#queue.keys.events, '+', '-', 'COUNT', 1);
      lastEventId = last?.[0] ?? '0-0';
    } catch {
      // Redis went away again: listen from whenever it is back; the re-check covers the gap.
    }
    if (this.#closing !== undefined) return;
    const { QueueEvents } = require('bullmq') as typeof import('bullmq');
    const events = new QueueEvents(this.#settings.queueName, {
      connection: { url: this.#settings.store, retryStrategy: reconnectDelay },
      lastEventId,
    });
    events.on('error', (error) => this.#outage(error));
    events.on('completed', ({ jobId, returnvalue }) => void this.#finishedEvent(jobId, { returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => void this.#finishedEvent(jobId, { failedReason }));
    events.on('active', ({ jobId }) => {
      if (this.#views.get(jobId)?.begin === undefined) void this.#beginSoon(jobId); // not run here
    });
    events.on('progress', ({ jobId }) => void this.#refreshSoon(jobId));
    events.on<CancelListener>(CANCEL_EVENT, ({ jobId }: { jobId: string }) => {
      void this.#running.get(jobId)?.cancel();
      void this.#refresh([jobId]);
    });
    this.#events = events;
    this.#everConnected = true;
  }

  get threadCount(): number {
    return this.#executor?.threadCount ?? 0;
  }

  /** As JSON data, once the check has found nothing else in them: what Redis will hold, copied by JSON itself. */
  copyParams(params: readonly unknown[]): unknown[] {
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

  async start({
    methodName,
    handler,
    params,
    key,
    description,
    timeoutSeconds,
    scheduledJob,
    ancestors,
  }: JobRequest): Promise<BackgroundJob> {
    const uuid = uuidV4();
    const header: JobHeader = {
      methodName,
      key,
      description,
      executedAt: performance.timeOrigin + performance.now(),
      ...(scheduledJob && { scheduledJob: scheduledJob.toJSON() }),
    };
    const data: JobData = {
      ...header,
      params,
      timeoutSeconds,
      ...(ancestors !== undefined && ancestors.length > 0 && { ancestors }),
    };
    // Registered before the job exists in Redis, so that no event about it can come first and be missed.
    const view = this.#view(uuid, header);
    this.#adding.add(uuid);
    try {
      await this.#connected('execute');
      // The header as the job's name: written with the job in BullMQ's one script, and read without the params.
      const added = await this.#queue.add(JSON.stringify(header), data, {
        jobId: uuid,
        ...this.#jobOptions(handler, key),
      });
      if (added.id !== uuid) throw keyConflict(added.id ?? '(unknown)', methodName, key);
    } catch (error) {
      this.#views.delete(uuid);
      throw this.#unavailable(error, `execute(${JSON.stringify(methodName)})`);
    } finally {
      this.#adding.delete(uuid);
    }
    return view;
  }

  async get(uuid: string): Promise<BackgroundJob | undefined> {
    try {
      await this.#connected('findByUUID');
      const [stored] = await this.#read([uuid]);
      return stored && this.#fromStored(stored);
    } catch (error) {
      throw this.#unavailable(error, 'findByUUID');
    }
  }

  async list(matches: JobTest): Promise<BackgroundJob[]> {
    try {
      await this.#connected('getBackgroundJobs');
      // Tested on their summaries first: only the jobs that pass are read in full, and of those only the ones
      // without a finished copy here (a finished copy takes no later change).
      const passed = await this.#summaries(matches);
      const jobs = new Map(passed.map(({ uuid }) => [uuid, this.#finishedViews.get(uuid)]));
      const unread = passed.map(({ uuid }) => uuid).filter((uuid) => jobs.get(uuid) === undefined);
      for (const stored of await this.#read(unread)) jobs.set(stored.id, this.#fromStored(stored));
      return [...jobs.values()].filter((job): job is BackgroundJob => job !== undefined && matches(job));
    } catch (error) {
      throw this.#unavailable(error, 'getBackgroundJobs');
    }
  }

  async summaries(matches: JobTest): Promise<JobSummaryData[]> {
    try {
      await this.#connected('The jobs dashboard');
      return await this.#summaries(matches);
    } catch (error) {
      throw this.#unavailable(error, 'The jobs dashboard');
    }
  }

  async details(uuid: string, { offset, limit }: MessagePage): Promise<JobDetailsData | undefined> {
    try {
      await this.#connected('The jobs dashboard');
      const read = { id: uuid, firstLog: -(offset + limit), lastLog: -(offset + 1) }; // LRANGE from the newest
      const [stored] = await readJobs(this.#redis, this.#keyPrefix, [read], 'full');
      return stored && storedDetails(stored, this.#settings);
    } catch (error) {
      throw this.#unavailable(error, 'The jobs dashboard');
    }
  }

  async clear(): Promise<void> {
    try {
      await this.#connected('clear');
      // BullMQ keeps a finished job as completed or failed (a cancel is a failure with our mark); grace 0 and no
      // limit: every one of them, whichever instance ran it.
      await Promise.all([this.#queue.clean(0, 0, 'completed'), this.#queue.clean(0, 0, 'failed')]);
    } catch (error) {
      throw this.#unavailable(error, 'clear');
    }
    this.#finishedViews.clear();
    this.#finishedSummaries.clear();
  }

  close(graceSeconds: number): Promise<void> {
    return (this.#closing ??= this.#shutDown(graceSeconds));
  }

  async #shutDown(graceSeconds: number): Promise<void> {
    clearInterval(this.#recheck);
    // Stop taking jobs now; jobs running here get the grace, then are cancelled like a cancel from anywhere.
    // A worker that never reached Redis has nothing running and closes only by force.
    const workerClosed = this.#worker?.close(!this.#everConnected);
    const ranHere = [...this.#running.keys()];
    await waitForExecutionCompletion([...this.#running.values()], graceSeconds, 'close');
    this.#stopping = true;
    for (const job of this.#running.values()) void job.cancel();
    await workerClosed;
    // Their ends are stored now: the copies here say so before the connections close, events or not.
    await this.#refresh(ranHere);
    await this.#executor?.close();
    await Promise.allSettled([this.#events?.close(), this.#producer.close(), this.#queue.close()]);
    this.#redis.disconnect();
  }

  /** BullMQ options of a new job: key rule, no retries, history kept as `jobsHistorySize`. */
  #jobOptions(handler: ResolvedHandler, key: string): JobsOptions {
    // BullMQ's "keep 0" means "keep all": a history of 0 removes finished jobs at once.
    const keep = this.#settings.historySize === 0 ? true : { count: this.#settings.historySize };
    // The handler's path inside the handlers folder, not its absolute path: instances on other hosts agree.
    const identity = path.relative(this.#settings.handlersPath, handler.identity).split(path.sep).join('/');
    return {
      attempts: 1,
      removeOnComplete: keep,
      removeOnFail: keep,
      ...(key !== '' && { deduplication: { id: JSON.stringify([identity, key]) } }),
    };
  }

  /** This instance's worker runs one job: the same executor as in memory, on a private copy of the job. */
  async #process(job: Job<JobData>, token: string): Promise<StoredResult> {
    const uuid = job.id!;
    const { methodName, key, description, params, timeoutSeconds } = job.data;
    const decision = this.#decisionKey(uuid);
    let reports = Promise.resolve();
    let reportFailed = false;
    let messages = 0;
    const copy = new BackgroundJob({
      builtBy: BUILT_BY_MANAGER,
      uuid,
      methodName,
      key,
      description,
      scheduledJob: job.data.scheduledJob && this.#scheduledJobFrom(job.data.scheduledJob),
      ancestors: job.data.ancestors,
      handlersPath: this.#settings.handlersPath,
      onFinish: () => {},
      onReport: (report) => {
        if (report.kind === 'message') messages += 1;
        reports = reports
          .then(() => this.#store(job, report))
          .catch((error: unknown) => {
            if (!reportFailed)
              this.#logError(
                `[web-background-jobs] Background job ${uuid} could not store a report in Redis`,
                error,
              );
            reportFailed = true;
          });
      },
    });
    copy.markStarted(new Date(job.processedOn ?? Date.now()));
    this.#running.set(uuid, copy);
    this.#tokens.set(uuid, token);
    if (this.#stopping) void copy.cancel(); // taken just as close() cancels what runs here
    try {
      // A job cancelled while queued never runs: on Redis a cancel is a decision, read here before the handler.
      const canceled = await (await this.#workerClient()).get(decision);
      if (canceled?.startsWith('canceled')) return await this.#endCanceled(decision);
      this.#views.get(uuid)?.markStarted(copy.begin); // a copy in this process needs no read to learn it
      try {
        const handler = await this.#resolve(methodName);
        await this.#executor!.run(copy, handler, params, timeoutSeconds);
      } catch (error) {
        // The handler cannot be loaded on this host: the job fails, as it would have on execute.
        this.#executor!.fail(copy, errorInfoFrom(error, this.#settings.handlersPath), error, false);
      }
      await reports; // every message is in Redis before the job's end is
      let outcome = copy.state;
      let errorInfo = copy.errorInfo;
      const unstorable =
        outcome === BackgroundJobState.Completed && copy.result !== undefined
          ? findUnstorable(copy.result, 'result')
          : undefined;
      if (unstorable !== undefined) {
        const error = new BackgroundJobsError(
          'WBJ_RESULT_NOT_STORABLE',
          `Background job ${uuid} (${methodName}) returned a result Redis cannot store: ${unstorable}. A Redis store takes ${STORABLE_DATA}`,
        );
        error.stack = `${error.name}: ${error.message}`;
        outcome = BackgroundJobState.Failed;
        errorInfo = errorInfoFrom(error, this.#settings.handlersPath);
        this.#logError(`[web-background-jobs] ${error.message}`, error);
      }
      const decided = await this.#hold(uuid, true, DECISION_TTL_MS);
      // No record left to store the end in: every copy fails as lost on its re-check.
      if (decided === 'vanished') throw jobLost(uuid);
      if (decided === 'given up') throw this.#givenUp(uuid, true).error;
      if (decided !== 'finished' || outcome === BackgroundJobState.Canceled)
        return this.#endCanceled(decision);
      const facts = { end: copy.end!.getTime(), messages, ...(copy.progress && { progress: copy.progress }) };
      if (outcome === BackgroundJobState.Failed) throw new Error(encodeFailure(errorInfo!, facts));
      return copy.result === undefined ? facts : { ...facts, result: copy.result };
    } finally {
      this.#running.delete(uuid);
      this.#tokens.delete(uuid);
    }
  }

  /**
   * Holds the lock of a job running here (see {@link holdJob}), and with `decisionTtlMs` decides its end: after an
   * outage longer than a lock's life the worker takes its lock again, or learns that BullMQ gave the job up. The job
   * then fails saying why, as this instance knows it once its connections have told what happened.
   */
  async #hold(uuid: string, handlerEnded: boolean, decisionTtlMs?: number): Promise<string> {
    const client = await this.#workerClient();
    const lock = {
      jobKey: this.#queue.toKey(uuid),
      stalledKey: this.#queue.keys.stalled,
      decisionKey: this.#decisionKey(uuid),
      jobId: uuid,
      token: this.#tokens.get(uuid)!,
      lockMs: this.#settings.lostWorkerSeconds * 1000,
      givenUpMark: '',
    };
    const held = await holdJob(client, lock, decisionTtlMs);
    if (held !== 'given up') return held;
    const { cutOff, errorInfo } = this.#lostHere(uuid, handlerEnded);
    if (cutOff) await holdJob(client, { ...lock, givenUpMark: encodeFailure(errorInfo) });
    return held;
  }

  #workerClient(): Promise<RedisClient> {
    return (this.#workerConnection ??= this.#worker!.getBackend().client.then((client) => {
      client.on('close', () => this.#connectionFailed());
      return withHoldJob(client);
    }));
  }

  /**
   * Why BullMQ gave up a job running here, as this instance knows it: Redis was unreachable (`cutOff`) if one of its
   * connections failed since the job began; otherwise the process blocked, and BullMQ's own reason says as much.
   */
  #lostHere(uuid: string, handlerEnded: boolean): LostHere {
    const begin = this.#running.get(uuid)?.begin?.getTime() ?? 0;
    const { lostWorkerSeconds, handlersPath } = this.#settings;
    const cutOff = this.#lastConnectionFailure >= begin;
    const error = workerLost(uuid, cutOff ? { lostWorkerSeconds, handlerEnded } : undefined);
    return { cutOff, error, errorInfo: remoteErrorInfo(error, handlersPath) };
  }

  /** A job running here that BullMQ gave up: why, logged. */
  #givenUp(uuid: string, handlerEnded: boolean): LostHere {
    const lost = this.#lostHere(uuid, handlerEnded);
    this.#logError(`[web-background-jobs] ${lost.error.message}`, lost.error);
    return lost;
  }

  /**
   * BullMQ could not renew these jobs' locks: they lapsed while Redis was unreachable. Each is taken again, unless
   * BullMQ gave the job up meanwhile; its handler is then stopped, since nothing it does can be stored.
   */
  async #holdLocks(ids: readonly string[]): Promise<void> {
    for (const uuid of ids) {
      const running = this.#running.get(uuid);
      if (running === undefined) continue;
      const handlerEnded = running.state !== BackgroundJobState.Active; // its run is storing its end
      const held = await this.#hold(uuid, handlerEnded).catch(() => 'held'); // closing: nothing more to hold
      if (held !== 'given up' || handlerEnded) continue;
      const { errorInfo, error } = this.#givenUp(uuid, false);
      running.expire(errorInfo, error);
    }
  }

  /** Ends a job whose cancel won: BullMQ records it failed with our cancel mark, which reads `Canceled`. */
  async #endCanceled(decision: string): Promise<never> {
    await this.#redis.pexpire(decision, DECISION_TTL_MS).catch(() => {}); // the job's record now says it
    throw new Error(encodeFailure('canceled'));
  }

  /** Stores a handler's report: a message in the job's BullMQ log, progress as its BullMQ progress. */
  async #store(job: Job<JobData>, report: JobReport): Promise<void> {
    if (report.kind === 'message') await job.log(messageLine(report));
    else await job.updateProgress({ percent: report.percent, text: report.text, date: report.date });
  }

  /**
   * Decides a cancel against the job's worker finishing it: whoever sets the job's decision key first wins.
   * A winning cancel frees the key rule at once and tells the instance running the job to stop it.
   */
  async #cancel(view: BackgroundJob): Promise<void> {
    const decision = this.#decisionKey(view.uuid);
    try {
      await this.#connected('cancel');
      if ((await this.#redis.set(decision, `canceled:${Date.now()}`, 'NX')) === 'OK') {
        const [stored] = await this.#read([view.uuid]);
        if (stored === undefined || stored.fields.finishedOn) {
          // It had finished (or was removed) before: the cancel lost, and the key goes with it.
          await this.#redis.del(decision);
        } else {
          await (await this.#queue.getJob(view.uuid))?.removeDeduplicationKey();
          await this.#producer.publishEvent({ eventName: CANCEL_EVENT, jobId: view.uuid });
        }
        // Read after the decision, so it says Canceled, or how the job had ended before.
        if (stored !== undefined) view.sync(snapshotOf(stored, this.#settings));
        return;
      }
      // Decided already: cancelled by someone else, or its worker is storing its end right now.
      await this.#refresh([view.uuid]);
      if (view.state === BackgroundJobState.Active) await ended([view], 'all', 1000);
    } catch (error) {
      this.#logError(
        `[web-background-jobs] Background job ${view.uuid} (${view.methodName}) could not be cancelled and stays Active: ${
          error instanceof BackgroundJobsError ? error.message : 'the Redis store is unreachable'
        }`,
        error,
      );
    }
  }

  async #readOne(uuid: string): Promise<StoredJob | undefined> {
    return (await this.#read([uuid]))[0];
  }

  /**
   * The jobs with these ids that still exist, in one round trip, without their params: in full, but for the
   * messages a copy here has already (a job's messages only ever grow), so a copy's refresh reads the new ones.
   */
  #read(ids: readonly string[]): Promise<StoredJob[]> {
    const reads = ids.map((id): JobRead => {
      const view = this.#views.get(id) ?? this.#finishedViews.get(id);
      return { id, firstLog: view?.messagesReported ?? 0, lastLog: -1 };
    });
    return readJobs(this.#redis, this.#keyPrefix, reads, 'full');
  }

  /**
   * The summaries of the jobs that pass `matches`, in the order executed. A finished job's record never changes,
   * so its summary is read once and kept while the job is in history: a list reads the ids, then the rest.
   */
  async #summaries(matches: JobTest): Promise<JobSummaryData[]> {
    const types: JobType[] = ['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed'];
    const ids = await this.#queue.getRanges(types, 0, -1);
    const finished = new Map<string, ListedSummary>();
    const listed: ListedSummary[] = [];
    const unread: JobRead[] = [];
    for (const id of ids) {
      const known = this.#finishedSummaries.get(id);
      if (known === undefined) unread.push({ id, firstLog: 0, lastLog: -1 });
      else finished.set(id, known);
    }
    for (const stored of await readJobs(this.#redis, this.#keyPrefix, unread, 'summary')) {
      const entry = { executedAt: stored.header.executedAt, summary: storedSummary(stored, this.#settings) };
      if (stored.fields.finishedOn === undefined) listed.push(entry);
      else finished.set(stored.id, entry);
    }
    this.#finishedSummaries = finished; // those that left the history go
    return [...listed, ...finished.values()]
      .sort((a, b) => a.executedAt - b.executedAt)
      .map(({ summary }) => summary)
      .filter(matches);
  }

  /** The copy handed out for a stored job: the one being kept up to date while it is active, else a new one. */
  #fromStored(stored: StoredJob): BackgroundJob {
    const view = this.#view(stored.id, stored.header);
    view.sync(snapshotOf(stored, this.#settings));
    return view;
  }

  #view(uuid: string, header: JobHeader): BackgroundJob {
    let view = this.#views.get(uuid) ?? this.#finishedViews.get(uuid);
    if (view === undefined) {
      const scheduledJob = header.scheduledJob && this.#scheduledJobFrom(header.scheduledJob);
      view = new BackgroundJob({
        builtBy: BUILT_BY_MANAGER,
        uuid,
        methodName: header.methodName,
        key: header.key,
        description: header.description,
        scheduledJob,
        handlersPath: this.#settings.handlersPath,
        onFinish: (finished) => this.#remember(finished),
        onCancel: (job) => this.#cancel(job),
      });
      scheduledJob?.recordRun(view);
      this.#views.set(uuid, view);
    }
    return view;
  }

  #remember(finished: BackgroundJob): void {
    this.#views.delete(finished.uuid);
    this.#finishedViews.set(finished.uuid, finished);
    for (const uuid of this.#finishedViews.keys()) {
      if (this.#finishedViews.size <= this.#settings.historySize) break;
      this.#finishedViews.delete(uuid);
    }
  }

  /** Refreshes a job's copy, in one round trip with every other refresh asked for in the same turn. */
  readonly #refreshSoon = batched((ids) => this.#refresh(ids));
  /** Sets `begin` on the copy of a job a worker has just taken: one field, read in batches. */
  readonly #beginSoon = batched(async (ids) => {
    const waiting = ids.filter((id) => this.#views.get(id)?.begin === undefined);
    if (waiting.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const id of waiting) pipeline.hget(this.#queue.toKey(id), 'processedOn');
    const replies = (await pipeline.exec().catch(() => null)) ?? []; // Redis away: the re-check catches up
    waiting.forEach((id, index) => {
      const [error, processedOn] = replies[index] ?? [];
      const view = this.#views.get(id);
      if (error || !processedOn || view?.state !== BackgroundJobState.Active || view.begin) return;
      view.markStarted(new Date(Number(processedOn)));
    });
  });

  /** Re-reads the listed jobs that have copies here and brings the copies up to date. */
  async #refresh(ids: readonly string[]): Promise<void> {
    const held = ids.filter((id) => this.#views.has(id));
    if (held.length === 0) return;
    try {
      for (const stored of await this.#read(held))
        this.#views.get(stored.id)?.sync(snapshotOf(stored, this.#settings));
    } catch {
      // Redis is away: the outage is logged once, and the next re-check tries again.
    }
  }

  /**
   * A job ended. A job that completed or failed without messages is ended from the event alone; otherwise its
   * record is read for messages and times, and when history keeps none (`jobsHistorySize` 0) the event says how it ended.
   */
  async #finishedEvent(
    jobId: string,
    ending: { returnvalue?: unknown; failedReason?: string },
  ): Promise<void> {
    const view = this.#views.get(jobId);
    if (view === undefined) return;
    // Ended from the event alone when it says all there is, so copies end in the order their jobs did.
    const ended = view.begin && snapshotFromEvent(view.begin, ending, jobId, this.#settings.handlersPath);
    if (ended) return view.sync(ended);
    await this.#refreshSoon(jobId);
    if (view.state !== BackgroundJobState.Active) return;
    const gone = await this.#readOne(jobId)
      .then((stored) => stored === undefined)
      .catch(() => false);
    if (!gone) return;
    const known = { begin: view.begin, progress: view.progress, result: undefined, errorInfo: undefined };
    if (ending.failedReason === undefined) {
      const returned = ending.returnvalue as Partial<StoredResult> | null | undefined;
      const end = new Date(returned?.end ?? Date.now());
      view.sync({ ...known, state: BackgroundJobState.Completed, end, result: returned?.result });
    } else {
      const { state, errorInfo } = decodeFailure(ending.failedReason, jobId, this.#settings.handlersPath);
      view.sync({ ...known, state, errorInfo, end: new Date() });
    }
  }

  /**
   * The safety net under events: every active copy whose record moved past it is re-read, every job running here
   * re-checks for a cancel, and a job whose record vanished from Redis ends, here and in its handler.
   */
  async #recheckAll(): Promise<void> {
    const running = [...this.#running.keys()];
    const held = [...new Set([...this.#views.keys(), ...running])].filter((id) => !this.#adding.has(id));
    let found: Recheck;
    try {
      found = await this.#look(held);
    } catch {
      return; // Redis is away: the outage is logged once, and the next re-check tries again
    }
    await this.#refresh(found.outdated);
    for (const id of found.canceled) void this.#running.get(id)?.cancel();
    this.#endVanished(found.vanished);
    await this.#requeueStrays().catch(() => {}); // Redis away again: the next re-check looks again
  }

  /**
   * Jobs this instance's worker took from the queue just as its connection dropped: Redis handed them over (they are
   * active, locked with this worker's token) but the reply was lost, so no handler ever started, and BullMQ would
   * fail them as if their process had died. Seen so on two re-checks in a row (a job being handed over right now is
   * seen once at most), each goes back to the queue and runs once. Looked for only for a while after a connection
   * failed.
   */
  async #requeueStrays(): Promise<void> {
    const worker = this.#worker;
    const lockMs = this.#settings.lostWorkerSeconds * 1000;
    if (worker === undefined || Date.now() - this.#lastConnectionFailure > 2 * lockMs) return;
    const active = await this.#redis.lrange(this.#queue.keys.active, 0, -1);
    const pipeline = this.#redis.pipeline();
    for (const id of active) pipeline.get(`${this.#queue.toKey(id)}:lock`).get(this.#decisionKey(id));
    const replies = (await pipeline.exec()) ?? [];
    const seen = this.#strays;
    this.#strays = new Map();
    active.forEach((id, index) => {
      const [[, token], [, decision]] = replies.slice(index * 2, index * 2 + 2) as [unknown, string | null][];
      const stray = token?.startsWith(`${worker.id}:`) && !this.#tokens.has(id) && decision !== 'finished';
      if (!stray) return;
      if (seen.get(id) !== token) return void this.#strays.set(id, token!);
      this.#warn(
        `[web-background-jobs] Background job ${id} was handed to this worker as its connection to Redis dropped, and never started: it goes back to the queue`,
      );
      void this.#queue
        .getJob(id)
        .then((job) => job?.moveToWait(token!))
        .catch(() => {}); // taken or ended meanwhile: nothing to put back
    });
  }

  /**
   * What a look at a few small fields of each job finds: the copies whose record in Redis has moved past them
   * (begun, ended, cancelled, a new message or progress), so that only those are read in full; the jobs whose
   * cancel won; and the jobs whose record is gone, with their decision.
   */
  async #look(ids: readonly string[]): Promise<Recheck> {
    const found: Recheck = { outdated: [], canceled: [], vanished: new Map() };
    if (ids.length === 0) return found;
    const pipeline = this.#redis.pipeline();
    for (const id of ids) {
      const key = this.#queue.toKey(id);
      pipeline
        .hmget(key, 'timestamp', 'processedOn', 'finishedOn', 'progress')
        .llen(`${key}:logs`)
        .get(this.#decisionKey(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((id, index) => {
      const [[fieldsError, fields], [, messageCount], [decisionError, decision]] = replies.slice(
        index * 3,
        index * 3 + 3,
      );
      if (fieldsError ?? decisionError) return;
      const [timestamp, processedOn, finishedOn, progress] = fields as (string | null)[];
      const canceled = (decision as string | null)?.startsWith('canceled') === true;
      if (canceled) found.canceled.push(id);
      // Every BullMQ job has a timestamp: without one, the record is gone.
      if (timestamp === null) return found.vanished.set(id, decision as string | null);
      const view = this.#views.get(id);
      const outdated =
        view !== undefined &&
        (finishedOn !== null ||
          canceled ||
          (processedOn === null ? undefined : Number(processedOn)) !== view.begin?.getTime() ||
          (messageCount as number) !== view.messagesReported ||
          storedProgress(progress ?? undefined)?.date.getTime() !== view.progress?.date.getTime());
      if (outdated) found.outdated.push(id);
    });
    return found;
  }

  /**
   * Ends the copies of jobs whose record vanished from Redis (a restart without persistence, FLUSHDB, eviction):
   * nothing will ever say how they end, so they fail with `WBJ_JOB_LOST` and their waits settle. A handler still
   * running one here is stopped, as for a cancel: whatever it does now can be stored nowhere.
   */
  #endVanished(vanished: ReadonlyMap<string, string | null>): void {
    const lost: string[] = [];
    for (const [id, decision] of vanished) {
      const ending = vanishedEnding(id, decision, this.#settings.handlersPath);
      if (ending === undefined) continue; // its worker stored its end: the end event says how
      const view = this.#views.get(id);
      const running = this.#running.get(id);
      // Told once: a handler that ignores its signal keeps its job among those running here.
      const news = [view, running].some((copy) => copy?.state === BackgroundJobState.Active);
      view?.sync({ begin: view.begin, progress: view.progress, result: undefined, ...ending });
      if (ending.errorInfo !== undefined) running?.expire(ending.errorInfo, jobLost(id));
      if (ending.errorInfo !== undefined && news) lost.push(id);
    }
    if (lost.length === 0) return;
    this.#logError(
      `[web-background-jobs] ${lost.length} background job(s) failed with WBJ_JOB_LOST: their records disappeared from Redis ${redactedUrl(this.#settings.store)} (a restart without persistence, FLUSHDB, or eviction): ${lost.join(', ')}`,
      jobLost(lost[0]),
    );
  }

  #decisionKey(uuid: string): string {
    return `${this.#queue.toKey('wbj-decision')}:${uuid}`;
  }

  /** Waits for the first connection of a new store (briefly); afterwards, a lost connection fails at once. */
  async #connected(caller: string): Promise<void> {
    if (this.#closing !== undefined && caller !== 'cancel') {
      throw new BackgroundJobsError(
        'WBJ_CLOSED',
        `${caller} was called after close(): this manager has closed its Redis connections`,
      );
    }
    if (this.#redis.status !== 'ready' && !this.#everConnected) await firstConnection(this.#firstConnection);
    if (this.#redis.status !== 'ready') throw this.#unavailable(undefined, caller);
  }

  #unavailable(error: unknown, caller: string): BackgroundJobsError {
    return storeUnavailable(error, caller, this.#settings.store);
  }

  #outage(error: unknown): void {
    this.#connectionFailed();
    if (this.#outageLogged || this.#closing !== undefined) return;
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
  #workerError(error: Error): void {
    if (this.#redis.status !== 'ready') return this.#outage(error);
    // Its own connection alone dropped (one line each time), or Redis refused a command
    if ((error as NodeJS.ErrnoException).syscall !== undefined) this.#connectionFailed();
    this.#logError(
      `[web-background-jobs] The worker of queue ${JSON.stringify(this.#settings.queueName)} reported: ${error.message}`,
      error,
    );
  }

  #connectionFailed(): void {
    this.#lastConnectionFailure = Date.now();
  }

  #recovered(): void {
    if (!this.#outageLogged) return;
    this.#outageLogged = false;
    this.#warn(`[web-background-jobs] The Redis store ${redactedUrl(this.#settings.store)} is back`);
    void this.#recheckAll();
  }
}

/**
 * Gathers the ids asked for in one turn of the event loop and hands them to `flush` together: QueueEvents delivers
 * events in batches, and a batch then costs one round trip instead of one per job.
 */
function batched(flush: (ids: string[]) => Promise<void>): (id: string) => Promise<void> {
  let pending: { ids: Set<string>; done: Promise<void> } | undefined;
  return (id) => {
    if (pending === undefined) {
      const ids = new Set<string>();
      const done = new Promise<void>((resolve) =>
        setImmediate(() => {
          pending = undefined;
          void flush([...ids]).then(resolve, resolve);
        }),
      );
      pending = { ids, done };
    }
    pending.ids.add(id);
    return pending.done;
  };
}
