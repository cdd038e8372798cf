import { BackgroundJobsError } from '../errors';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import type { ScheduledJobRef, ScheduledSkipReason } from '../jobs/jobEvents';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import type { ResolvedHandler } from '../loader/HandlerResolver';
import type { TraceCarrier } from '../runners/traceCarrier';
import { traceOfExecute } from '../runners/tracingContext';
import { storedRule } from '../schedules/checkSchedule';
import type { ScheduledJob } from '../schedules/ScheduledJob';
import type { ScheduledJobData } from '../schedules/scheduledJobData';
import type { RunLimits } from '../schedules/scheduleRule';
import { scheduleText } from '../schedules/scheduleText';
import type { Retry, ScheduleStore, StoredScheduledJob } from '../stores/ScheduleStore';
import type { ScheduledJobsContext } from './scheduledJobsContext';

/** The refusals of a run that 1C's rules make a skip, not an error: the reason its `scheduled-skip` event gives. */
const SKIP_REASONS: Readonly<Record<string, ScheduledSkipReason>> = {
  WBJ_PREVIOUS_RUN_ACTIVE: 'running',
  WBJ_KEY_CONFLICT: 'key',
};

/** The code of each skip's warning, so a structured log finds them without reading the sentence. */
const SKIP_CODES: Readonly<Partial<Record<ScheduledSkipReason, string>>> = {
  running: 'WBJ_PREVIOUS_RUN_ACTIVE',
  key: 'WBJ_KEY_CONFLICT',
};

/**
 * The runs of scheduled jobs: started when a schedule fires (a tick of the schedule store) or by `runNow()`, each an
 * ordinary background job, under 1C's rules: skipped while the previous run is active or its key is held, or inside
 * the schedule's pause after the previous run; retried after a failure; cancelled at the schedule's completion time.
 */
export class ScheduledRuns {
  readonly #context: ScheduledJobsContext;
  readonly #store: ScheduleStore;
  /** A copy of the scheduled job a run names, made by the collection that owns it. */
  readonly #scheduledJobFrom: (data: ScheduledJobData) => ScheduledJob;
  readonly #isClosing: () => boolean;
  /** The timers that cancel runs still active at their schedule's completion time (1C: ВремяЗавершения). */
  readonly #completions = new Set<NodeJS.Timeout>();

  constructor(
    context: ScheduledJobsContext,
    store: ScheduleStore,
    scheduledJobFrom: (data: ScheduledJobData) => ScheduledJob,
    isClosing: () => boolean,
  ) {
    this.#context = context;
    this.#store = store;
    this.#scheduledJobFrom = scheduledJobFrom;
    this.#isClosing = isClosing;
  }

  /**
   * A schedule fired, or a retry of a failed run is due: its run starts, or is skipped (and the skip logged) while
   * the previous one is active or its key is held, or inside the schedule's pause. A run that fails is retried as the
   * job says.
   */
  async tick(uuid: string, due: Date, retry?: Retry): Promise<void> {
    let name = uuid;
    const run = retry === undefined ? 'run' : `retry ${retry.attempt} of run ${retry.of}`;
    const why = (reason: string): string => `its ${run} due at ${due.toISOString()}: ${reason}`;
    try {
      if (this.#isClosing()) return;
      const stored = await this.#store.get(uuid);
      if (stored === undefined || !stored.data.use) return; // deleted or switched off elsewhere meanwhile
      // A run started since the failure (the schedule's next, or runNow) ends the series: it is the one that counts.
      if (retry !== undefined && stored.lastJobUuid !== retry.of) return;
      const { data } = stored;
      name = data.name;
      const { handler, previous } = await this.#prepare(stored);
      // A retry keeps its own interval (ИнтервалПовтораПриАварийномЗавершении), not the schedule's pause.
      const limits = storedRule(data.schedule).limitsAt(retry === undefined ? due : new Date());
      const pause = retry === undefined ? pauseLeft(data.name, previous, due, limits) : undefined;
      if (pause !== undefined) return this.#skip({ uuid, name }, 'pause', why(pause));
      this.#retryOnFailure(data, await this.#start(data, handler, limits), (retry?.attempt ?? 0) + 1);
    } catch (error) {
      const { code } = error as { code?: unknown };
      const reason = why((error as Error).message);
      const skipped = SKIP_REASONS[String(code)];
      if (skipped !== undefined) return this.#skip({ uuid, name }, skipped, reason);
      const line = `[web-background-jobs] Scheduled job "${name}" could not start ${reason}`;
      this.#context.logError(line, error, { scheduledJob: name });
      this.#skipped({ uuid, name }, code === 'WBJ_STORE_UNAVAILABLE' ? 'unavailable' : 'error', line);
    }
  }

  /** Starts a run of what is saved now, outside the schedule: only the interval of its completion limits it. */
  async runNow(stored: StoredScheduledJob): Promise<BackgroundJob> {
    const { handler } = await this.#prepare(stored);
    const limits = storedRule(stored.data.schedule).limitsAt(new Date());
    return this.#start(stored.data, handler, limits, traceOfExecute()); // as execute: a child of the caller's span
  }

  /** Clears the completion timers of this process; the runs go on. */
  close(): void {
    for (const timer of this.#completions) clearTimeout(timer);
    this.#completions.clear();
  }

  /** 1C skips a run its rules refuse, and so does this: a warning, not an error. */
  #skip(scheduledJob: ScheduledJobRef, reason: ScheduledSkipReason, why: string): void {
    const line = `[web-background-jobs] Scheduled job "${scheduledJob.name}" skipped ${why}`;
    this.#context.warn(line, { scheduledJob: scheduledJob.name, code: SKIP_CODES[reason] });
    this.#skipped(scheduledJob, reason, line);
  }

  /** Tells the listeners of `scheduled-skip` that a due run did not start. */
  #skipped(scheduledJob: ScheduledJobRef, reason: ScheduledSkipReason, detail: string): void {
    const { events } = this.#context;
    if (events.wants('scheduled-skip'))
      events.emit('scheduled-skip', { scheduledJob, reason, detail, at: new Date() });
  }

  /**
   * What a run needs first: its handler, resolved, and its previous run, which must have ended (1C: a scheduled job
   * does not start while its previous run is active).
   */
  async #prepare({
    data,
    lastJobUuid,
  }: StoredScheduledJob): Promise<{ handler: ResolvedHandler; previous: BackgroundJob | undefined }> {
    const handler = await this.#context.resolve(data.methodName);
    const previous = lastJobUuid === undefined ? undefined : await this.#context.findJob(lastJobUuid);
    if (previous?.state === BackgroundJobState.Active) {
      throw new BackgroundJobsError(
        'WBJ_PREVIOUS_RUN_ACTIVE',
        `the previous run ${previous.uuid} of scheduled job "${data.name}" is still active`,
      );
    }
    return { handler, previous };
  }

  /**
   * Starts the run as `execute` would (1C: nor while its key is held), and notes it as the job's last.
   * @param trace - the context of a runNow() call; a run the schedule fired has none, whatever was active where the
   *   schedule's timer was armed, and starts a trace of its own.
   */
  async #start(
    data: ScheduledJobData,
    handler: ResolvedHandler,
    limits: RunLimits,
    trace?: TraceCarrier,
  ): Promise<BackgroundJob> {
    const scheduledJob = this.#scheduledJobFrom(data);
    const run = await this.#context.start({
      methodName: data.methodName,
      handler,
      // Copied at the start, as execute does: each run gets parameters of its own, never the saved ones.
      params: this.#context.copyParams(data.params),
      key: data.key,
      description: data.description,
      timeoutSeconds: this.#context.settings.timeoutSeconds,
      scheduledJob,
      trace,
    });
    scheduledJob.recordRun(run);
    const { events } = this.#context;
    if (events.wants('scheduled-run')) {
      const ref = { uuid: data.uuid, name: data.name };
      events.emit('scheduled-run', { scheduledJob: ref, jobUuid: run.uuid, at: new Date() });
    }
    this.#completeBy(run, data, limits);
    // The run has started whatever happens here: a failure to note it is logged, not reported as the run's.
    await this.#store
      .recordRun(data.uuid, run.uuid)
      .catch((error: unknown) =>
        this.#context.logError(
          `[web-background-jobs] Scheduled job "${data.name}" started run ${run.uuid} but could not note it as its last run`,
          error,
        ),
      );
    return run;
  }

  /**
   * 1C: a scheduled job's run that ends in failure (not a cancel) is started again after
   * ИнтервалПовтораПриАварийномЗавершении seconds, up to КоличествоПовторовПриАварийномЗавершении times; each retry
   * is a run of its own, and one that succeeds ends the series. `attempt` is the number the next retry would have.
   */
  #retryOnFailure(data: ScheduledJobData, run: BackgroundJob, attempt: number): void {
    if (attempt > (data.restartCountOnFailure ?? 0)) return;
    void run.finished.then(async () => {
      if (run.state !== BackgroundJobState.Failed || this.#isClosing()) return;
      const due = new Date(Date.now() + (data.restartIntervalOnFailure ?? 0) * 1000);
      await this.#store
        .retry(data.uuid, { attempt, of: run.uuid }, due)
        .catch((error: unknown) =>
          this.#context.logError(
            `[web-background-jobs] Scheduled job "${data.name}" could not plan retry ${attempt} of its failed run ${run.uuid}`,
            error,
          ),
        );
    });
  }

  /**
   * 1C: ВремяЗавершения, ИнтервалЗавершения: a run still active at its schedule's completion time, or `runSeconds`
   * after it began, is cancelled, and the cancel logged. The interval counts from the run's begin as this instance
   * sees it: a run that has not begun yet (queued, or not yet taken by a worker) is looked at again an interval
   * later. The timer is this instance's (the one that started the run, in memory or on Redis); close() clears it.
   */
  #completeBy(
    run: BackgroundJob,
    { name, schedule }: ScheduledJobData,
    { cancelAt, runSeconds }: RunLimits,
  ): void {
    if (cancelAt === undefined && runSeconds === undefined) return;
    const completionOf = (job: BackgroundJob): number =>
      Math.min(
        cancelAt?.getTime() ?? Infinity,
        runSeconds === undefined ? Infinity : (job.begin?.getTime() ?? Date.now()) + runSeconds * 1000,
      );
    let timer: NodeJS.Timeout | undefined;
    const arm = (at: number): void => {
      timer = setTimeout(
        () => {
          this.#completions.delete(timer!);
          void complete().catch((error: unknown) =>
            this.#context.logError(
              `[web-background-jobs] Scheduled job "${name}": run ${run.uuid} could not be cancelled at its completion time`,
              error,
            ),
          );
        },
        Math.max(at - Date.now(), 0),
      ).unref();
      this.#completions.add(timer);
    };
    const complete = async (): Promise<void> => {
      const current = await this.#context.findJob(run.uuid);
      if (current?.state !== BackgroundJobState.Active) return;
      const at = completionOf(current);
      if (at > Date.now()) return arm(at); // it began later than this instance first saw
      this.#context.warn(
        `[web-background-jobs] Scheduled job "${name}": run ${run.uuid} was still active at its schedule's completion time ${new Date(at).toISOString()} (schedule: ${scheduleText(schedule, 'en')}), so it is cancelled`,
      );
      await current.cancel();
    };
    arm(completionOf(run));
    // A run that ends first needs no timer: an hour-long interval on a run a minute leaves none behind.
    void run.finished.then(() => {
      clearTimeout(timer);
      this.#completions.delete(timer!);
    });
  }
}

/**
 * 1C: ПаузаПовтора, the pause after a run ended before the schedule starts the next one: why a run `due` inside it
 * is skipped, or `undefined` when it may start.
 */
function pauseLeft(
  name: string,
  previous: BackgroundJob | undefined,
  due: Date,
  { pauseSeconds }: RunLimits,
): string | undefined {
  const ended = previous?.end;
  if (ended === undefined || due.getTime() >= ended.getTime() + pauseSeconds * 1000) return undefined;
  return `the previous run of scheduled job "${name}" ended at ${ended.toISOString()}, less than its repeatPause of ${pauseSeconds} s before`;
}
