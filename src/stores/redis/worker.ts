import type { Job, RedisClient, Worker } from 'bullmq';
import { jobLogFields } from '../../config/logWriter';
import { DEFAULTS, type Settings } from '../../config/options';
import { BackgroundJobsError } from '../../errors';
import type { BackgroundJob, JobReport } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import { type ErrorInfo, errorInfoFrom } from '../../jobs/errorInfo';
import { findUnstorable, STORABLE_DATA } from '../../jobs/storable';
import { waitForExecutionCompletion } from '../../jobs/waits';
import { JobExecutor, type LogError } from '../../runners/JobExecutor';
import type { StoreContext } from '../JobStore';
import { buildJob } from '../buildJob';
import { handBack, storeMessage, withStoreMessage } from './changeLog';
import { type RedisConnection, reconnectDelay } from './connection';
import { closeBullmq } from './closeBullmq';
import { FINISHED_CLAIM } from './endClaim';
import { withFinishClaim } from './finishClaim';
import { settledHere } from './inFlight';
import { withHoldJob } from './jobLock';
import { LatestMap } from './latestMap';
import { LockKeeper } from './lockKeeper';
import { NeverStarted } from './neverStarted';
import { pausedTakesNone } from './pausedTakesNone';
import { redisModules } from './redisModules';
import { attemptErrorsOf, failureError, type JobData, messageLine, type StoredResult } from './record';

/** What a worker tells the rest of its store as it goes, with no read of Redis. */
export interface WorkerNotes {
  /** BullMQ handed job `uuid` to this worker: the job is active since `begin`, as its record says. */
  taken(uuid: string, begin: Date): void;
  /** The run of a job began here on `running`, a job executed at `executedAt`. */
  began(running: BackgroundJob, executedAt: number): void;
  /** BullMQ handed job `uuid` over as close() began: it goes straight back to the queue, never begun here. */
  handedBack(uuid: string): void;
}

/** A running job's end needs no telling: the worker stores it once the run has settled. */
const ignoreFinish = (): void => {};

/** How many cancels of jobs not running here a worker keeps (see {@link RedisWorker.cancelHeard}). */
const KEPT_CANCELS = 1000;

/**
 * This instance's BullMQ worker: takes jobs from the queue and runs each through the same {@link JobExecutor} as in
 * memory, on a **running job** of its own (another object than the local jobs handed to callers), storing its
 * reports and how it ended. A job's BullMQ lock is kept across Redis outages and its end claimed against a cancel
 * (lockKeeper.ts), and a job cancelled elsewhere is stopped.
 */
export class RedisWorker {
  readonly #settings: Settings;
  readonly #logError: LogError;
  readonly #resolve: StoreContext['resolve'];
  readonly #scheduledJobFrom: StoreContext['scheduledJobFrom'];
  readonly #connection: RedisConnection;
  readonly #notes: WorkerNotes;
  readonly #worker: Worker;
  readonly #executor: JobExecutor;
  /** The jobs this worker is running, by UUID. */
  readonly #running = new Map<string, BackgroundJob>();
  /** Cancels heard of jobs not running here, the latest last (see cancelHeard). */
  readonly #cancelsHeard = new LatestMap<string, true>(KEPT_CANCELS);
  readonly #locks: LockKeeper;
  readonly #neverStarted: NeverStarted;
  /** Set as close() begins: a job BullMQ still hands over (a fetch already under way) goes back to the queue. */
  #stoppedTaking = false;
  /**
   * The worker's own connection, for the commands of a job's run: while Redis is away they wait there, and then go
   * through before BullMQ stores the job's end on that same connection. An outage delays how a job ends, never
   * changes it.
   */
  #workerConnection: Promise<RedisClient> | undefined;

  constructor(context: StoreContext, connection: RedisConnection, notes: WorkerNotes) {
    const { settings, logError, manager } = context;
    this.#settings = settings;
    this.#logError = logError;
    this.#resolve = context.resolve;
    this.#scheduledJobFrom = context.scheduledJobFrom;
    this.#connection = connection;
    this.#notes = notes;
    this.#executor = new JobExecutor(settings, logError, manager);
    // BullMQ's base marker (a job waits), as it writes it: the wake-up a paused worker took goes to the others.
    const wakeAnother = () =>
      void connection.redis.zadd(connection.queue.keys.marker!, 0, '0').catch(() => {});
    const Worker = pausedTakesNone(redisModules(settings.store).bullmq.Worker, wakeAnother);
    const lockMs = settings.lostWorkerSeconds * 1000;
    const processor = (job: Job, token?: string) => this.#process(job as Job<JobData>, token!);
    this.#worker = new Worker(settings.queueName, processor, {
      connection: { url: settings.store, retryStrategy: reconnectDelay },
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
    this.#worker.on('error', (error) => connection.workerError(error));
    // As soon as BullMQ has the job, before it asks Redis for the next one and calls the processor: the stream's
    // `active` event, read on another connection, comes about then, and a local job that has its begin by the end of
    // that turn is not read for it.
    this.#worker.on('active', (job) => {
      if (!this.#stoppedTaking) notes.taken(job.id!, new Date(job.processedOn ?? Date.now()));
    });
    this.#locks = new LockKeeper({
      settings,
      logError,
      connection,
      client: () => this.#workerClient(),
      running: (uuid) => this.#running.get(uuid),
    });
    this.#neverStarted = new NeverStarted({
      settings,
      connection,
      warn: context.warn,
      worker: this.#worker,
      tokens: this.#locks.tokens,
    });
    this.#worker.on('lockRenewalFailed', (ids) => void this.#locks.holdLocks(ids));
    // Its scripts taught before its first job ends; a worker that never connects has nothing to teach them to.
    this.#worker
      .waitUntilReady()
      .then(() => this.#workerClient())
      .catch(() => {});
  }

  get threadCount(): number {
    return this.#executor.threadCount;
  }

  get threadCrashes(): number {
    return this.#executor.threadCrashes;
  }

  /** The running job of a job this worker runs. */
  running(uuid: string): BackgroundJob | undefined {
    return this.#running.get(uuid);
  }

  /**
   * A cancel claimed job `uuid`'s end (from any instance): its handler stops if it runs here, or is never started
   * here if BullMQ handed the job over just before the cancel ran (its data then bears no mark) and its run has not
   * begun yet. The latest {@link KEPT_CANCELS} such cancels are kept: most are of jobs that run elsewhere.
   */
  cancelHeard(uuid: string): void {
    const running = this.#running.get(uuid);
    if (running !== undefined) return void running.cancel();
    this.#cancelsHeard.set(uuid, true);
  }

  /** The jobs this worker is running. */
  runningIds(): string[] {
    return [...this.#running.keys()];
  }

  /** Takes no job from now on (close() has begun); the jobs running here go on, and the queued stay for others. */
  stopTaking(): void {
    this.#stoppedTaking = true;
    // Fetches no more; a fetch already under way may still hand a job over, which #process hands back.
    void this.#worker.pause(true).catch(() => {});
  }

  /**
   * Stops taking jobs now; the jobs running here get `graceSeconds`, then are cancelled like a cancel from anywhere.
   * A worker that never reached Redis (`force`) has nothing running and closes only by force. Resolves with the jobs
   * that were running, once their ends are stored.
   */
  async stop(graceSeconds: number, force: boolean): Promise<string[]> {
    this.stopTaking();
    const closed = closeBullmq([this.#worker], this.#connection.redis, force);
    const ranHere = [...this.#running.keys()];
    await waitForExecutionCompletion([...this.#running.values()], graceSeconds, 'close');
    for (const job of this.#running.values()) void job.cancel();
    await closed;
    return ranHere;
  }

  /** Ends the worker threads; called last. */
  closeThreads(): Promise<void> {
    return this.#executor.close();
  }

  /** Runs one job: the same executor as in memory, on a running job of its own. */
  async #process(job: Job<JobData>, token: string): Promise<StoredResult> {
    if (this.#stoppedTaking) return this.#handBack(job, token);
    const uuid = job.id!;
    const { methodName, key, description, ancestors, owner, params, timeoutSeconds, trace, executedAt } =
      job.data;
    // A job's first attempt (most jobs') has no earlier failure to read, and a job that reports nothing no chain.
    let reports: Promise<void> | undefined;
    let reportFailed = false;
    let messages = 0;
    const scheduledJob = job.data.scheduledJob && this.#scheduledJobFrom(job.data.scheduledJob);
    const { handlersPath } = this.#settings;
    const attemptErrors =
      job.attemptsMade > 0
        ? attemptErrorsOf(uuid, job.stacktrace, job.attemptsMade, handlersPath)
        : undefined;
    const fields = { methodName, key, description, scheduledJob, ancestors, attemptErrors, owner };
    const running = buildJob(uuid, fields, handlersPath, {
      onFinish: ignoreFinish,
      onReport: (report) => {
        if (report.kind === 'message') messages += 1;
        reports = (reports ?? Promise.resolve())
          .then(() => this.#storeReport(job, report))
          .catch((error: unknown) => {
            if (!reportFailed)
              this.#logError(
                `[web-background-jobs] Background job ${uuid} could not store a report in Redis`,
                error,
                jobLogFields(running),
              );
            reportFailed = true;
          });
      },
    });
    running.markStarted(new Date(job.processedOn ?? Date.now()));
    this.#running.set(uuid, running);
    this.#locks.tokens.set(uuid, token);
    // Taken as a cancel ran after BullMQ handed the job over.
    if (this.#cancelsHeard.delete(uuid)) void running.cancel();
    // Its events here need no read to tell it began; said at once, as its record says it already.
    this.#notes.began(running, job.data.executedAt);
    try {
      // A job cancelled while queued never runs: the cancel marked its data (see endClaim.ts), or was sent from here
      // as BullMQ handed the job over (see inFlight.ts).
      const sentHere = settledHere(this.#connection.queue, uuid);
      if (
        job.data.canceledAt !== undefined ||
        (sentHere && (await this.#locks.canceledMeanwhile(uuid, sentHere)))
      )
        return await this.#locks.yieldToCancel(uuid);
      try {
        const handler = await this.#resolve(methodName);
        // One attempt a run: BullMQ runs a failed attempt with attempts left again, on a running job of its own.
        await this.#executor.run(running, handler, params, timeoutSeconds, 1, { carrier: trace, executedAt });
      } catch (error) {
        // The handler cannot be loaded on this host: the job fails, as it would have on execute.
        this.#executor.fail(running, errorInfoFrom(error, this.#settings.handlersPath), error, false);
      }
      if (reports !== undefined) await reports; // every message is in Redis before the job's end is
      const { state, errorInfo } = this.#storableEnd(running);
      // A failed attempt with attempts left claims no end: BullMQ runs it again, and a cancel meanwhile ends it.
      const retried = state === BackgroundJobState.Failed && job.attemptsMade + 1 < (job.opts.attempts ?? 1);
      const claimed = await this.#locks.claimEnd(running, retried);
      if (claimed === 'retried') throw failureError(errorInfo!);
      if (claimed !== FINISHED_CLAIM || state === BackgroundJobState.Canceled)
        return this.#locks.yieldToCancel(uuid);
      const end = running.end!.getTime();
      // `end` first: a summary read cuts a return value down to it (reads.ts).
      const facts = {
        end,
        begin: running.begin!.getTime(),
        messages,
        ...(running.progress && { progress: running.progress }),
        ...(running.attempt > 1 && { attempt: running.attempt }),
      };
      if (state === BackgroundJobState.Failed) throw failureError(errorInfo!, facts);
      return running.result === undefined ? facts : { ...facts, result: running.result };
    } finally {
      this.#running.delete(uuid);
      this.#locks.tokens.delete(uuid);
    }
  }

  /**
   * Hands a job BullMQ took for this worker as close() began (a request sent before) back to the queue untouched,
   * for the other instances: its record then reads as never begun, and BullMQ counts no attempt made.
   */
  async #handBack(job: Job<JobData>, token: string): Promise<never> {
    this.#notes.handedBack(job.id!);
    // BullMQ counted an attempt started, which every reader of the record would take for a run under way, and told
    // every instance it began.
    const { redis, queue } = this.#connection;
    // Redis away: the job goes back all the same if it can (moveToWait fails too, most often); its count alone is off.
    await handBack(redis, queue.keys, queue.toKey(job.id!), job.id!, token).catch(() => {});
    await job.moveToWait(token);
    // BullMQ's sign to its worker that the job was handed back, not failed.
    throw new (redisModules(this.#settings.store).bullmq.WaitingError)();
  }

  /** How a run ended, as Redis can store it: a result it cannot hold fails the job `WBJ_RESULT_NOT_STORABLE`. */
  #storableEnd(running: BackgroundJob): { state: BackgroundJobState; errorInfo: ErrorInfo | undefined } {
    const { state, errorInfo, result, uuid, methodName } = running;
    const unstorable =
      state === BackgroundJobState.Completed && result !== undefined
        ? findUnstorable(result, 'result')
        : undefined;
    if (unstorable === undefined) return { state, errorInfo };
    const error = new BackgroundJobsError(
      'WBJ_RESULT_NOT_STORABLE',
      `Background job ${uuid} (${methodName}) returned a result Redis cannot store: ${unstorable}. A Redis store takes ${STORABLE_DATA}`,
    );
    error.stack = `${error.name}: ${error.message}`;
    this.#logError(`[web-background-jobs] ${error.message}`, error, jobLogFields(running));
    return { state: BackgroundJobState.Failed, errorInfo: errorInfoFrom(error, this.#settings.handlersPath) };
  }

  /**
   * Stores a handler's report: a message in the job's BullMQ log with its event in the change log, on the worker's
   * connection, so before the job's end; progress as its BullMQ progress.
   */
  async #storeReport(job: Job<JobData>, report: JobReport): Promise<void> {
    if (report.kind !== 'message') {
      return void (await job.updateProgress({
        percent: report.percent,
        text: report.text,
        date: report.date,
      }));
    }
    const { queue } = this.#connection;
    await storeMessage(
      await this.#workerClient(),
      queue.keys,
      queue.toKey(job.id!),
      messageLine(report),
      job.id!,
    );
  }

  #workerClient(): Promise<RedisClient> {
    return (this.#workerConnection ??= this.#worker.getBackend().client.then((client) => {
      client.on('close', () => this.#connection.failed());
      this.#locks.claimsAtFinish = withFinishClaim(client);
      return withStoreMessage(withHoldJob(client));
    }));
  }

  /** Puts back the jobs this worker was handed as its connection dropped and never started: see neverStarted.ts. */
  requeueNeverStarted(): Promise<void> {
    return this.#neverStarted.requeue();
  }
}
