// The entry of each pool worker thread (Piscina loads it): runs one job per call, reporting on `parentPort`.
import { BroadcastChannel, parentPort } from 'node:worker_threads';
import { BackgroundJobsError, describeValue } from '../errors';
import { BackgroundJob, BUILT_BY_MANAGER } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { errorInfoFrom } from '../jobs/errorInfo';
import type { RunningJob } from '../jobs/jobContext';
import { HandlerResolver } from '../loader/HandlerResolver';
import { runHandler } from './runHandler';
import type { AbortNote, ThreadJobRequest, WorkerEnvelope, WorkerNote } from './threadProtocol';

/** One resolver per handlers folder, kept for the worker's life: modules load once per worker, then are reused. */
const resolvers = new Map<string, HandlerResolver>();
/** The copies of the jobs this worker runs, by uuid, for the abort notes. */
const running = new Map<string, { job: BackgroundJob; handlersPath: string }>();
let abortChannel: BroadcastChannel | undefined;

function listenForAborts(name: string): void {
  if (abortChannel !== undefined) return;
  abortChannel = new BroadcastChannel(name);
  abortChannel.unref(); // Piscina decides how long a worker lives
  abortChannel.onmessage = (event) => {
    const { uuid, code, message } = (event as { data: AbortNote }).data;
    const target = running.get(uuid);
    if (target === undefined) return;
    const reason = new BackgroundJobsError(code, message);
    if (code === 'WBJ_CANCELED') target.job.cancel();
    else target.job.expire(errorInfoFrom(reason, target.handlersPath), reason);
  };
}

export default async function runThreadJob({
  handlersPath,
  abortChannel: channel,
  job: init,
  params,
}: ThreadJobRequest): Promise<void> {
  listenForAborts(channel);
  const send = (note: WorkerNote): void => {
    const envelope: WorkerEnvelope = { webBackgroundJobs: init.uuid, note };
    parentPort!.postMessage(envelope);
  };
  // A copy of the job for the handler's currentJob(); its signal follows the real job's through abort notes.
  const job = new BackgroundJob({ builtBy: BUILT_BY_MANAGER, ...init, onFinish: () => undefined });
  job.markStarted(init.begin);
  running.set(init.uuid, { job, handlersPath });
  let ended = false;
  const runningJob: RunningJob = {
    job,
    manager: undefined,
    failFromOutside: (reason) => {
      const errorInfo = errorInfoFrom(reason, handlersPath);
      send(
        ended
          ? { kind: 'lateRejection', methodName: init.methodName, errorInfo }
          : { kind: 'rejection', errorInfo },
      );
    },
    report: (report) => {
      job.record(report);
      send(report);
    },
  };
  let resolver = resolvers.get(handlersPath);
  if (resolver === undefined) resolvers.set(handlersPath, (resolver = new HandlerResolver(handlersPath)));
  try {
    const handler = await resolver.resolve(init.methodName);
    // Cancelled while the worker was starting or loading the module: the handler never runs, as inline.
    if (job.state !== BackgroundJobState.Active) {
      return send({ kind: 'done', outcome: { ok: true, result: undefined } });
    }
    send({ kind: 'started' });
    const outcome = await runHandler(runningJob, handler.run, params, handlersPath);
    if (!outcome.ok) return send({ kind: 'done', outcome: { ok: false, errorInfo: outcome.errorInfo } });
    try {
      send({ kind: 'done', outcome: { ok: true, result: outcome.result } });
    } catch (error) {
      const reason = new BackgroundJobsError(
        'WBJ_RESULT_NOT_CLONEABLE',
        `The job's result (${describeValue(outcome.result)}) cannot be copied from its worker thread: ${String(
          (error as Error).message ?? error,
        )}. Return plain data (numbers, strings, arrays, objects, Dates, Maps…)`,
      );
      send({ kind: 'done', outcome: { ok: false, errorInfo: errorInfoFrom(reason, handlersPath) } });
    }
  } catch (error) {
    // The handler could not be resolved in the worker (the module changed, or loads differently here).
    send({ kind: 'done', outcome: { ok: false, errorInfo: errorInfoFrom(error, handlersPath) } });
  } finally {
    ended = true;
    running.delete(init.uuid);
  }
}
