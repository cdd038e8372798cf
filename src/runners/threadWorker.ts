// The entry of each pool worker thread (Piscina loads it): runs one job per call, reporting over the job's port.
import { parentPort } from 'node:worker_threads';
import { BackgroundJobsError, describeValue } from '../errors';
import { BackgroundJob, BUILT_BY_MANAGER } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { errorInfoFrom } from '../jobs/errorInfo';
import type { RunningJob } from '../jobs/jobContext';
import { HandlerResolver } from '../loader/HandlerResolver';
import { runHandler } from './runHandler';
import type { AbortNote, LateRejectionNote, ThreadJobRequest, WorkerNote } from './threadProtocol';

/** One resolver per handlers folder, kept for the worker's life: modules load once per worker, then are reused. */
const resolvers = new Map<string, HandlerResolver>();

export default async function runThreadJob({
  port,
  handlersPath,
  job: init,
  params,
}: ThreadJobRequest): Promise<void> {
  const send = (note: WorkerNote): void => port.postMessage(note);
  // A copy of the job for the handler's currentJob(); its signal follows the real job's through AbortNotes.
  const job = new BackgroundJob({ builtBy: BUILT_BY_MANAGER, ...init, onFinish: () => undefined });
  job.markStarted(init.begin);
  port.on('message', ({ code, message }: AbortNote) => {
    const reason = new BackgroundJobsError(code, message);
    if (code === 'WBJ_CANCELED') job.cancel();
    else job.expire(errorInfoFrom(reason, handlersPath), reason);
  });
  let done = false;
  const running: RunningJob = {
    job,
    manager: undefined,
    failFromOutside: (reason) => {
      const errorInfo = errorInfoFrom(reason, handlersPath);
      if (!done) return send({ kind: 'rejection', errorInfo });
      // The job's port is closed by now: the pool's own channel carries it to the application's logger.
      const note: LateRejectionNote = {
        kind: 'lateRejection',
        uuid: job.uuid,
        methodName: job.methodName,
        errorInfo,
      };
      parentPort?.postMessage(note);
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
    if (job.state !== BackgroundJobState.Active)
      return send({ kind: 'done', outcome: { ok: true, result: undefined } });
    send({ kind: 'started' });
    const outcome = await runHandler(running, handler.run, params, handlersPath);
    done = true;
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
    // The main thread closes the port once it has the outcome; closing it here could drop the last note.
    done = true;
  }
}
