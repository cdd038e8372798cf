// In a worker thread: the manager a job's ФоновыеЗадания reach, on the main thread, by calls and answers.
import {
  BackgroundJobsError,
  BackgroundJobsKeyConflictError,
  BackgroundJobsWaitError,
  describeValue,
} from '../errors';
import { BackgroundJob, BUILT_BY_MANAGER } from '../jobs/BackgroundJob';
import { reviveErrorInfo } from '../jobs/errorInfo';
import { receivedMessage } from '../jobs/UserMessage';
import type { JobsManager } from '../jobs/ownManager';
import { checkJobList } from '../jobs/jobList';
import { waitForCompletion, waitForExecutionCompletion } from '../jobs/waits';
import { cloneFailure } from '../jobs/storable';
import {
  isJobViewData,
  type JobRef,
  type JobViewData,
  type CallAnswer,
  type ManagerCallMember,
  type ManagerCallNote,
} from './threadProtocol';

interface PendingCall {
  readonly resolve: (answer: CallAnswer) => void;
  readonly what: string;
}

/**
 * One job's way to its manager from a worker thread. Jobs come back as views: copies made in this thread, as of
 * the answer, whose waits and `cancel()` go to the main thread too and bring them up to date. A wait on a list of
 * views runs here (the same waits as the manager's), each view's end answered by the main thread.
 */
export class MainThreadJobs implements JobsManager {
  readonly #send: (note: ManagerCallNote) => void;
  readonly #handlersPath: string;
  readonly #uuid: string;
  readonly #pending = new Map<number, PendingCall>();
  /** One view a job, as the manager hands out one object a job: each answer brings it up to date. */
  readonly #views = new Map<string, BackgroundJob>();
  #lastId = 0;
  #closed = false;

  /** @param send - posts a note to the main thread, in order with the job's other notes. */
  constructor(send: (note: ManagerCallNote) => void, handlersPath: string, uuid: string) {
    this.#send = send;
    this.#handlersPath = handlersPath;
    this.#uuid = uuid;
  }

  async execute(...args: Parameters<JobsManager['execute']>): Promise<BackgroundJob> {
    return this.#call('execute', args, `execute(${describeValue(args[0])})`) as Promise<BackgroundJob>;
  }

  async waitForCompletion(jobs?: readonly BackgroundJob[], timeoutSeconds?: number): Promise<void> {
    if (jobs !== undefined) {
      return waitForCompletion(checkJobList(jobs, 'waitForCompletion'), timeoutSeconds, 'waitForCompletion');
    }
    await this.#call('waitForCompletion', [undefined, timeoutSeconds], 'waitForCompletion');
  }

  async waitForExecutionCompletion(
    jobs?: readonly BackgroundJob[],
    timeoutSeconds?: number,
  ): Promise<BackgroundJob[]> {
    const what = 'waitForExecutionCompletion';
    if (jobs !== undefined) return waitForExecutionCompletion(checkJobList(jobs, what), timeoutSeconds, what);
    return this.#call(what, [undefined, timeoutSeconds], what) as Promise<BackgroundJob[]>;
  }

  async getBackgroundJobs(...args: Parameters<JobsManager['getBackgroundJobs']>): Promise<BackgroundJob[]> {
    return this.#call('getBackgroundJobs', args, 'getBackgroundJobs') as Promise<BackgroundJob[]>;
  }

  async findByUUID(uuid: string): Promise<BackgroundJob | undefined> {
    const what = `findByUUID(${describeValue(uuid)})`;
    return this.#call('findByUUID', [uuid], what) as Promise<BackgroundJob | undefined>;
  }

  /** An answer of the main thread to one of this job's calls (the worker's port hands it over). */
  answer(answer: CallAnswer): void {
    const pending = this.#pending.get(answer.id);
    this.#pending.delete(answer.id);
    pending?.resolve(answer);
  }

  /** The job has ended: a call still unanswered rejects instead of hanging. */
  close(): void {
    this.#closed = true;
    for (const [id, { resolve, what }] of this.#pending) resolve(this.#ended(id, what));
    this.#pending.clear();
  }

  /** Sends the call; resolves with its answer, jobs as their views. */
  async #call(member: ManagerCallMember, args: readonly unknown[], what: string): Promise<unknown> {
    const id = (this.#lastId += 1);
    const answer = new Promise<CallAnswer>((resolve) => {
      if (this.#closed) return resolve(this.#ended(id, what));
      this.#pending.set(id, { resolve, what });
      try {
        this.#send({ kind: 'call', id, member, args });
      } catch (error) {
        this.#pending.delete(id);
        const code = member === 'execute' ? 'WBJ_PARAM_NOT_CLONEABLE' : 'WBJ_BAD_ARGUMENT';
        const text = `ФоновыеЗадания.${what}: its arguments cannot be copied to the main thread: ${cloneFailure(error)}`;
        resolve({ id, ok: false, error: { code, message: text } });
      }
    });
    const settled = await answer;
    if (settled.ok) return this.#viewsOf(settled.value);
    const { code, message, jobs, holderUuid } = settled.error;
    // Not ours: the manager threw something uncoded (a bug there); relayed as it was, as an inline job would get it.
    if (code === undefined) throw new Error(message);
    if (holderUuid !== undefined) throw new BackgroundJobsKeyConflictError(message, holderUuid);
    if (jobs === undefined) throw new BackgroundJobsError(code, message);
    const failed = jobs.map((data) => this.#view(data));
    throw new BackgroundJobsWaitError(code as 'WBJ_JOBS_FAILED' | 'WBJ_WAIT_TIMEOUT', message, failed);
  }

  #ended(id: number, what: string): CallAnswer {
    const message = `ФоновыеЗадания.${what} got no answer: background job ${this.#uuid} ended before the main thread answered`;
    return { id, ok: false, error: { code: 'WBJ_NO_CURRENT_JOB', message } };
  }

  #viewsOf(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.#viewsOf(item));
    return isJobViewData(value) ? this.#view(value) : value;
  }

  /** The view of a job in an answer, made on its first answer, brought up to date by each. */
  #view({ webBackgroundJobView: data }: JobViewData): BackgroundJob {
    const { snapshot } = data;
    // Structured clone left plain data: messages and errorInfo become what a job's reader gets (1C names and all).
    const revived = {
      ...snapshot,
      messages: snapshot.messages.map((message) => receivedMessage(message, message.date)),
      errorInfo: snapshot.errorInfo && reviveErrorInfo(snapshot.errorInfo),
    };
    const known = this.#views.get(data.uuid);
    if (known !== undefined) {
      known.sync(revived);
      return known;
    }
    const view = new BackgroundJob({
      builtBy: BUILT_BY_MANAGER,
      uuid: data.uuid,
      methodName: data.methodName,
      key: data.key,
      description: data.description,
      owner: data.owner,
      handlersPath: this.#handlersPath,
      onFinish: () => undefined,
      onCancel: async (job) => {
        await this.#call('cancel', [refOf(job)], `cancel() of ${job.uuid}`);
      },
      settleElsewhere: async (jobs, timeoutMs) => {
        const seconds = timeoutMs === undefined ? undefined : timeoutMs / 1000;
        await this.#call('settle', [jobs.map(refOf), seconds], 'waitForCompletion');
      },
    });
    view.sync(revived);
    this.#views.set(data.uuid, view);
    return view;
  }
}

/** A job as it crosses to the main thread in a call's arguments: by UUID, so the main thread uses its own. */
function refOf(job: BackgroundJob): JobRef {
  return { webBackgroundJobRef: job.uuid };
}
