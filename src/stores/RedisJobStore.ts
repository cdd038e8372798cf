import path from 'node:path';
import type {
  Job,
  JobsOptions,
  JobType,
  Queue,
  QueueEvents,
  QueueEventsListener,
  QueueEventsProducer,
  Worker,
} from 'bullmq';
import type { Redis } from 'ioredis';
import { v4 as uuidV4 } from 'uuid';
import { DEFAULTS, type Settings } from '../config/options';
import { BackgroundJobsError } from '../errors';
import { BackgroundJob, BUILT_BY_MANAGER, type JobReport } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { errorInfoFrom } from '../jobs/errorInfo';
import { JobExecutor, type LogError } from '../jobs/JobExecutor';
import { waitForExecutionCompletion } from '../jobs/waits';
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
import { type JobRead, readJobs } from './redisReads';
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
} from './redisRecord';
import { firstConnection, redactedUrl, storeUnavailable } from './redisUnavailable';
import { findUnstorable, findUnstorableParam, STORABLE_DATA } from './storable';

/** The custom QueueEvents event that asks the instance running a job to stop it. */
const CANCEL_EVENT = 'wbj:cancel';
/** How long a job's "finished" decision outlives it: any cancel arriving later finds the job finished anyway. */
const DECISION_TTL_MS = 60_000;

/** A job's summary, with when it was executed, which lists are ordered by. */
interface ListedSummary {
  readonly executedAt: number;
  readonly summary: JobSummaryData;
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
 *   for anything an event missed.
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
  readonly #redis: Redis;
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
  /** Settles once the first connection is made and QueueEvents listens (or at once, if Redis is not there). */
  readonly #firstConnection: Promise<void>;
  #everConnected = false;
  /** Whether the current loss of Redis has been logged already (one line per outage, not per retry). */
  #outageLogged = false;
  #closing: Promise<void> | undefined;
  /** Set once close() has given the grace: every job this instance's worker still runs, or takes, is cancelled. */
  #stopping = false;

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
    this.#redis = new IORedis.Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    this.#queue = new bullmq.Queue(settings.queueName, {
      connection: { url, enableOfflineQueue: false },
    });
    this.#keyPrefix = this.#queue.toKey('');
    this.#producer = new bullmq.QueueEventsProducer(settings.queueName, { connection: { url } });
    const outage = (error: unknown): void => this.#outage(error);
    this.#redis.on('error', outage);
    this.#queue.on('error', outage);
    this.#producer.on('error', outage);
    this.#redis.on('ready', () => this.#recovered());
    this.#firstConnection = new Promise((resolve) => this.#redis.once('ready', resolve)).then(() =>
      this.#listen(),
    );
    if (settings.worker) {
      this.#executor = new JobExecutor(settings, logError, manager);
      const lockMs = settings.lostWorkerSeconds * 1000;
      this.#worker = new bullmq.Worker(settings.queueName, (job) => this.#process(job as Job<JobData>), {
        connection: { url },
        concurrency: Number.isFinite(settings.maxConcurrency)
          ? settings.maxConcurrency
          : DEFAULTS.redisInlineConcurrency,
        // 1C fails the jobs of a crashed session: a job whose worker stops renewing its lock fails at once,
        // never silently runs again.
        maxStalledCount: 0,
        lockDuration: lockMs,
        stalledInterval: lockMs,
      });
      this.#worker.on('error', (error) => this.#outage(error));
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
      connection: { url: this.#settings.store },
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

  async start({
    methodName,
    handler,
    params,
    key,
    description,
    timeoutSeconds,
    scheduledJob,
  }: JobRequest): Promise<BackgroundJob> {
    const unstorable = findUnstorableParam(params);
    if (unstorable !== undefined) {
      throw new BackgroundJobsError(
        'WBJ_PARAM_NOT_STORABLE',
        `${unstorable}, which Redis cannot store. A Redis store takes ${STORABLE_DATA}`,
      );
    }
    const uuid = uuidV4();
    const header: JobHeader = {
      methodName,
      key,
      description,
      executedAt: performance.timeOrigin + performance.now(),
      ...(scheduledJob && { scheduledJob: scheduledJob.toJSON() }),
    };
    const data: JobData = { ...header, params: [...params], timeoutSeconds };
    // Registered before the job exists in Redis, so that no event about it can come first and be missed.
    const view = this.#view(uuid, header);
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

  close(graceSeconds: number): Promise<void> {
    return (this.#closing ??= this.#shutDown(graceSeconds));
  }

  async #shutDown(graceSeconds: number): Promise<void> {
    clearInterval(this.#recheck);
    // Stop taking jobs now; jobs running here get the grace, then are cancelled like a cancel from anywhere.
    // A worker that never reached Redis has nothing running and closes only by force.
    const workerClosed = this.#worker?.close(!this.#everConnected);
    await waitForExecutionCompletion([...this.#running.values()], graceSeconds, 'close');
    this.#stopping = true;
    for (const job of this.#running.values()) void job.cancel();
    await workerClosed;
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
  async #process(job: Job<JobData>): Promise<StoredResult> {
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
    if (this.#stopping) void copy.cancel(); // taken just as close() cancels what runs here
    try {
      // A job cancelled while queued never runs: on Redis a cancel is a decision, read here before the handler.
      if ((await this.#redis.get(decision))?.startsWith('canceled')) return await this.#endCanceled(decision);
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
      const won = await this.#redis.set(decision, 'finished', 'PX', DECISION_TTL_MS, 'NX');
      if (won !== 'OK' || outcome === BackgroundJobState.Canceled) return this.#endCanceled(decision);
      const facts = { end: copy.end!.getTime(), messages, ...(copy.progress && { progress: copy.progress }) };
      if (outcome === BackgroundJobState.Failed) throw new Error(encodeFailure(errorInfo!, facts));
      return copy.result === undefined ? facts : { ...facts, result: copy.result };
    } finally {
      this.#running.delete(uuid);
    }
  }

  /** Ends a job whose cancel won: BullMQ records it failed with our cancel mark, which reads `Canceled`. */
  async #endCanceled(decision: string): Promise<never> {
    await this.#redis.pexpire(decision, DECISION_TTL_MS).catch(() => {}); // the job's record now says it
    throw new Error(encodeFailure('canceled'));
  }

  /** Stores a handler's report: a message in the job's BullMQ log, progress as its BullMQ progress. */
  async #store(job: Job<JobData>, report: JobReport): Promise<void> {
    if (report.kind === 'message') await job.log(JSON.stringify({ text: report.text, date: report.date }));
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
      if (view.state === BackgroundJobState.Active) {
        await Promise.race([view.finished, new Promise((resolve) => setTimeout(resolve, 1000))]);
      }
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
   * The safety net under events: every active copy whose record moved past it is re-read, and every running job
   * re-checks for a cancel.
   */
  async #recheckAll(): Promise<void> {
    await this.#refresh(await this.#outdated([...this.#views.keys()]).catch(() => []));
    const running = [...this.#running.keys()];
    if (running.length === 0) return;
    try {
      const decisions = await this.#redis.mget(running.map((id) => this.#decisionKey(id)));
      running.forEach((id, index) => {
        if (decisions[index]?.startsWith('canceled')) void this.#running.get(id)?.cancel();
      });
    } catch {
      // as in #refresh
    }
  }

  /**
   * The jobs among `ids` whose record in Redis has moved past their copy here (begun, ended, cancelled, a new
   * message or progress): a look at a few small fields of each, so that only those are read in full.
   */
  async #outdated(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) {
      const key = this.#queue.toKey(id);
      pipeline
        .hmget(key, 'processedOn', 'finishedOn', 'progress')
        .llen(`${key}:logs`)
        .get(this.#decisionKey(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    return ids.filter((id, index) => {
      const view = this.#views.get(id);
      const [[, fields], [, messageCount], [, decision]] = replies.slice(index * 3, index * 3 + 3);
      const [processedOn, finishedOn, progress] = fields as (string | null)[];
      if (view === undefined) return false;
      return (
        finishedOn !== null ||
        (decision as string | null)?.startsWith('canceled') === true ||
        (processedOn === null ? undefined : Number(processedOn)) !== view.begin?.getTime() ||
        (messageCount as number) !== view.messagesReported ||
        storedProgress(progress ?? undefined)?.date.getTime() !== view.progress?.date.getTime()
      );
    });
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
    if (this.#outageLogged || this.#closing !== undefined) return;
    this.#outageLogged = true;
    this.#logError(
      `[web-background-jobs] Lost the Redis store ${redactedUrl(this.#settings.store)}; retrying. Until it is back, execute() fails with WBJ_STORE_UNAVAILABLE`,
      error,
    );
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
