// On the main thread: answers the calls a thread job's ФоновыеЗадания make, as that job.
import type { MessagePort } from 'node:worker_threads';
import {
  BackgroundJobsError,
  BackgroundJobsKeyConflictError,
  BackgroundJobsWaitError,
  messageOf,
} from '../errors';
import { BackgroundJob } from '../jobs/BackgroundJob';
import { type RunningJob, runAsJob } from '../jobs/jobContext';
import type { BackgroundJobFilter } from '../jobs/jobFilter';
import {
  type CallAnswer,
  isJobRef,
  type JobViewData,
  type ManagerAnswer,
  type ManagerCallNote,
} from './threadProtocol';

/** How far the worker's view of a job has its messages: `sent` in the view's count, `next` in the job's. */
interface MessagesSent {
  sent: number;
  next: number;
}

/**
 * The answers to one thread job's calls, on its worker's port, marked with the run's secret. They run as the job (its own async context on this
 * thread), so the manager sees the job as the caller, exactly as inline: a job it starts is its child, a wait
 * skips it. Notes reach it already checked (threadNotes.ts): only the members of `ФоновыеЗадания` are served.
 */
export class ThreadCallAnswers {
  readonly #running: RunningJob;
  readonly #port: MessagePort;
  readonly #run: string;
  /**
   * The jobs this run's views were made from, by uuid: a job that has left the manager's history since (clear(),
   * historySize) is still answered, as this thread last held it (finished: only finished jobs leave it).
   */
  readonly #known = new Map<string, BackgroundJob>();
  /** Per job, the messages the worker's view already has: an answer carries only the newer ones. */
  readonly #messages = new Map<string, MessagesSent>();

  /**
   * @param running - the job on this thread, with its manager, as an inline job would run.
   * @param port - the port of the worker running the job; `run` the run's secret, which the answers carry.
   */
  constructor(running: RunningJob, port: MessagePort, run: string) {
    this.#running = running;
    this.#port = port;
    this.#run = run;
  }

  answer(note: ManagerCallNote): void {
    void runAsJob(this.#running, () => this.#serve(note)).then(
      (value) => this.#reply({ id: note.id, ok: true, value: this.#crossing(value) }),
      (error: unknown) => this.#reply({ id: note.id, ok: false, error: this.#failure(error) }),
    );
  }

  #reply(answer: CallAnswer): void {
    const run = this.#run;
    try {
      this.#port.postMessage({ run, ...answer } satisfies ManagerAnswer);
    } catch (error) {
      // A result that cannot cross (an inline job's found by the worker): the call fails instead of hanging.
      const text = `The answer cannot be copied to the worker thread: ${messageOf(error)}`;
      this.#port.postMessage({
        run,
        id: answer.id,
        ok: false,
        error: { code: 'WBJ_RESULT_NOT_CLONEABLE', message: text },
      } satisfies ManagerAnswer);
    }
  }

  async #serve({ member, args }: ManagerCallNote): Promise<unknown> {
    const manager = this.#running.jobs;
    switch (member) {
      case 'execute':
        return manager.execute(...(args as Parameters<typeof manager.execute>));
      case 'getBackgroundJobs':
        return manager.getBackgroundJobs(args[0] as BackgroundJobFilter);
      case 'findByUUID':
        return manager.findByUUID(args[0] as string);
      case 'cancel': {
        // A job that left the history has finished: its cancel() does nothing, as a finished job's.
        const [job] = (await this.#jobs(args)) as BackgroundJob[];
        await job!.cancel();
        return job;
      }
      case 'settle': {
        // Views waited on in the worker: the wait runs here, and answers the jobs as they are then.
        const jobs = (await this.#jobs(args[0])) as BackgroundJob[];
        await manager.waitForExecutionCompletion(jobs, args[1] as number | undefined);
        return jobs;
      }
      case 'waitForCompletion': // the waits without a list (a list of views is waited on in the worker)
      case 'waitForExecutionCompletion':
        return manager[member](undefined, args[1] as number | undefined);
    }
  }

  /** The jobs the worker named, as this thread holds them; anything else is left for the manager to refuse. */
  async #jobs(listed: unknown): Promise<unknown> {
    if (!Array.isArray(listed)) return listed;
    return Promise.all(
      listed.map(async (item: unknown, index) => {
        if (!isJobRef(item)) return item;
        const uuid = item.webBackgroundJobRef;
        const job = (await this.#running.jobs.findByUUID(uuid)) ?? this.#known.get(uuid);
        if (job !== undefined) return job;
        throw new BackgroundJobsError(
          'WBJ_BAD_ARGUMENT',
          `jobs[${index}] (background job ${uuid}) is not a job this job's ФоновыеЗадания returned`,
        );
      }),
    );
  }

  /** A value as it crosses back to the worker: jobs (alone or in an array) as their view data. */
  #crossing(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.#crossing(item));
    return value instanceof BackgroundJob ? this.#viewData(value) : value;
  }

  #failure(error: unknown): Extract<CallAnswer, { ok: false }>['error'] {
    if (!(error instanceof BackgroundJobsError)) return { code: undefined, message: messageOf(error) };
    const jobs =
      error instanceof BackgroundJobsWaitError ? error.jobs.map((job) => this.#viewData(job)) : undefined;
    const holder =
      error instanceof BackgroundJobsKeyConflictError ? { holderUuid: error.holderUuid } : undefined;
    return { code: error.code, message: error.message, ...(jobs && { jobs }), ...holder };
  }

  /**
   * A job as a view in the worker is made or brought up to date from it: everything a job reads, as it is now, but
   * of its messages only those the view has not had (a job with many messages would otherwise send them all at each
   * poll, and the copy would block this thread). Those getUserMessages(true) took on this thread are not sent.
   */
  #viewData(job: BackgroundJob): JobViewData {
    this.#known.set(job.uuid, job);
    const reported = job.messagesReported;
    const seen = this.#messages.get(job.uuid) ?? { sent: 0, next: 0 };
    const { messages } = job.messagesPage(0, reported - seen.next);
    const messagesFrom = seen.sent;
    this.#messages.set(job.uuid, { sent: seen.sent + messages.length, next: reported });
    return {
      webBackgroundJobView: {
        uuid: job.uuid,
        methodName: job.methodName,
        key: job.key,
        description: job.description,
        owner: job.owner,
        snapshot: {
          state: job.state,
          begin: job.begin,
          end: job.end,
          progress: job.progress,
          messages,
          messagesFrom,
          result: job.result,
          errorInfo: job.errorInfo,
        },
      },
    };
  }
}
