// On the main thread: answers the calls a thread job's ФоновыеЗадания make, as that job.
import type { MessagePort } from 'node:worker_threads';
import { BackgroundJobsError, messageOf } from '../errors';
import { BackgroundJob } from '../jobs/BackgroundJob';
import { type RunningJob, runAsJob } from '../jobs/jobContext';
import type { BackgroundJobFilter } from '../jobs/jobFilter';
import { BackgroundJobsWaitError } from '../jobs/waits';
import { isJobRef, type JobViewData, type ManagerAnswer, type ManagerCallNote } from './threadProtocol';

/**
 * The answers to one thread job's calls. They run as the job (its own async context on this thread), so the
 * manager sees the job as the caller, exactly as inline: a job it starts is its child, a wait skips it.
 */
export class ThreadCallAnswers {
  readonly #running: RunningJob;
  #port: MessagePort | undefined;

  /** @param running - the job on this thread, with its manager, as an inline job would run. */
  constructor(running: RunningJob) {
    this.#running = running;
  }

  answer(note: ManagerCallNote): void {
    if (note.port !== undefined) this.#port = note.port;
    void runAsJob(this.#running, () => this.#serve(note)).then(
      (value) => this.#reply({ id: note.id, ok: true, value: crossing(value) }),
      (error: unknown) => this.#reply({ id: note.id, ok: false, error: failure(error) }),
    );
  }

  /** The job has ended: answers still to come are dropped with the port. */
  close(): void {
    this.#port?.close();
  }

  #reply(answer: ManagerAnswer): void {
    try {
      this.#port?.postMessage(answer);
    } catch (error) {
      // A result that cannot cross (an inline job's found by the worker): the call fails instead of hanging.
      const text = `The answer cannot be copied to the worker thread: ${messageOf(error)}`;
      this.#port?.postMessage({
        id: answer.id,
        ok: false,
        error: { code: 'WBJ_RESULT_NOT_CLONEABLE', message: text },
      });
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
      default: // the waits without a list (a list of views is waited on in the worker)
        return manager[member](undefined, args[1] as number | undefined);
    }
  }

  /** The jobs the worker named, as this thread holds them; anything else is left for the manager to refuse. */
  async #jobs(listed: unknown): Promise<unknown> {
    if (!Array.isArray(listed)) return listed;
    return Promise.all(
      listed.map(async (item: unknown, index) => {
        if (!isJobRef(item)) return item;
        const job = await this.#running.jobs.findByUUID(item.webBackgroundJobRef);
        if (job !== undefined) return job;
        throw new BackgroundJobsError(
          'WBJ_BAD_ARGUMENT',
          `jobs[${index}] (background job ${item.webBackgroundJobRef}) is no longer in the manager's history`,
        );
      }),
    );
  }
}

/** A value as it crosses back to the worker: jobs (alone or in an array) as their view data. */
function crossing(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(crossing);
  return value instanceof BackgroundJob ? viewData(value) : value;
}

function failure(error: unknown): Extract<ManagerAnswer, { ok: false }>['error'] {
  if (!(error instanceof BackgroundJobsError)) return { code: undefined, message: messageOf(error) };
  const jobs = error instanceof BackgroundJobsWaitError ? error.jobs.map(viewData) : undefined;
  return { code: error.code, message: error.message, ...(jobs && { jobs }) };
}

/** A job as a view in the worker is made from it: everything a job reads, as it is now. */
function viewData(job: BackgroundJob): JobViewData {
  const messages = job.getUserMessages();
  return {
    webBackgroundJobView: {
      uuid: job.uuid,
      methodName: job.methodName,
      key: job.key,
      description: job.description,
      snapshot: {
        state: job.state,
        begin: job.begin,
        end: job.end,
        progress: job.progress,
        messages,
        // Those getUserMessages(true) took on this thread are not sent: the view counts from the first one sent.
        messagesFrom: job.messagesReported - messages.length,
        result: job.result,
        errorInfo: job.errorInfo,
      },
    },
  };
}
