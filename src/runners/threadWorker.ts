// The entry of each pool worker thread (workerPool.ts starts it): runs the jobs that come on its port, one at a
// time, and sends their notes and then their ends back on it.
import { serialize } from 'node:v8';
import { type MessagePort, parentPort } from 'node:worker_threads';
import { BackgroundJobsError } from '../errors';
import { BackgroundJob, BUILT_BY_MANAGER } from '../jobs/BackgroundJob';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import { errorInfoFrom, reviveErrorInfo } from '../jobs/errorInfo';
import type { RunningJob } from '../jobs/jobContext';
import { type HandlerFunction, HandlerResolver } from '../loader/HandlerResolver';
import { MainThreadJobs } from './mainThreadJobs';
import { runHandler } from './runHandler';
import { inTraceContext } from './tracingContext';
import { lowerWorkerPriority } from './workerPriority';
import {
  type AbortNote,
  resultNotCloneable,
  type RunEnd,
  type RunNote,
  type ThreadJobOutcome,
  type ThreadJobRequest,
  type WorkerEnvelope,
  type WorkerNote,
  WORKER_READY,
  type WorkerOrder,
  type WorkerPortNote,
} from './threadProtocol';

/** The jobs of this worker with a call of their ФоновыеЗадания, by run secret, for the answers. */
const calling = new Map<string, MainThreadJobs>();
/**
 * One resolver per handlers folder, kept for the worker's life: modules load once per worker, then are reused; and
 * the handlers it resolved, by lower-cased method name (resolution is case-insensitive), so a job whose method ran
 * here before does not check and parse its name again (the main thread checked it before the job was queued).
 */
const folders = new Map<string, { resolver: HandlerResolver; handlers: Map<string, HandlerFunction> }>();
/** The copies of the jobs this worker runs, by uuid, for the abort notes. */
const running = new Map<string, { job: BackgroundJob; handlersPath: string }>();

lowerWorkerPriority();
// The pool's first message on parentPort is the worker's port, taken here before any handler can listen there.
parentPort!.once('message', ({ webBackgroundJobsPort: port }: WorkerPortNote) => {
  port.on('message', (order: WorkerOrder) => {
    if ('task' in order) void runThreadJob(order.task, port);
    else if ('abort' in order) abort(order.abort);
    else calling.get(order.run)?.answer(order);
  });
  port.postMessage(WORKER_READY);
});

/** A job was cancelled, timed out, or lost: its copy here aborts its signal with the reason. */
function abort({ uuid, code, message }: AbortNote): void {
  const target = running.get(uuid);
  if (target === undefined) return;
  const reason = new BackgroundJobsError(code, message);
  if (code === 'WBJ_CANCELED') target.job.cancel();
  else target.job.expire(errorInfoFrom(reason, target.handlersPath), reason);
}

async function runThreadJob(request: ThreadJobRequest, toMain: MessagePort): Promise<void> {
  const { run } = request;
  const end = (outcome: ThreadJobOutcome): void => toMain.postMessage({ run, end: outcome } satisfies RunEnd);
  end(await runJob(request, (note) => toMain.postMessage({ run, note } satisfies RunNote)));
}

/** Runs one job, sending its notes on the way; resolves with how its handler ended. */
async function runJob(
  request: ThreadJobRequest,
  send: (note: WorkerNote) => void,
): Promise<ThreadJobOutcome> {
  const { handlersPath, job: init, params, run } = request;
  // A copy of the job for the handler's currentJob(); its signal follows the real job's through abort notes.
  const job = new BackgroundJob({
    builtBy: BUILT_BY_MANAGER,
    ...init,
    attemptErrors: init.attemptErrors.map(reviveErrorInfo),
    handlersPath,
    onFinish: () => undefined,
  });
  job.markStarted(init.begin);
  running.set(init.uuid, { job, handlersPath });
  let ended = false;
  const jobs = new MainThreadJobs(
    (note) => {
      calling.set(run, jobs); // from its first call: most jobs never make one
      send(note);
    },
    handlersPath,
    init.uuid,
  );
  const runningJob: RunningJob = {
    job,
    manager: undefined,
    jobs,
    failFromOutside: (reason) => {
      const errorInfo = errorInfoFrom(reason, handlersPath);
      if (!ended) return send({ kind: 'rejection', errorInfo });
      // The main thread has forgotten the run's secret once the job has ended: only logged there, it goes on parentPort.
      const late: WorkerEnvelope = {
        webBackgroundJobs: init.uuid,
        note: { kind: 'lateRejection', methodName: init.methodName, errorInfo },
      };
      parentPort!.postMessage(late);
    },
    report: (report) => {
      job.record(report);
      send(report);
    },
  };
  try {
    const handler = resolved(handlersPath, init.methodName) ?? (await resolve(handlersPath, init.methodName));
    // Cancelled while the worker was starting or loading the module: the handler never runs, as inline.
    if (job.state !== BackgroundJobState.Active) return { ok: true, result: undefined, serialized: false };
    if (request.timed) send({ kind: 'started' });
    const outcome = await inTraceContext(request.trace, () =>
      runHandler(runningJob, handler, params, handlersPath),
    );
    if (!outcome.ok) return { ok: false, errorInfo: outcome.errorInfo };
    return portable(outcome.result, handlersPath);
  } catch (error) {
    // The handler could not be resolved in the worker (the module changed, or loads differently here).
    return { ok: false, errorInfo: errorInfoFrom(error, handlersPath) };
  } finally {
    ended = true;
    running.delete(init.uuid);
    calling.delete(run);
    jobs.close();
  }
}

function folder(handlersPath: string): { resolver: HandlerResolver; handlers: Map<string, HandlerFunction> } {
  let known = folders.get(handlersPath);
  if (known === undefined) {
    known = { resolver: new HandlerResolver(handlersPath), handlers: new Map() };
    folders.set(handlersPath, known);
  }
  return known;
}

function resolved(handlersPath: string, methodName: string): HandlerFunction | undefined {
  return folders.get(handlersPath)?.handlers.get(methodName.toLowerCase());
}

/** Resolves the handler in this worker and keeps it; a failure is not kept, so a fixed module is found next time. */
async function resolve(handlersPath: string, methodName: string): Promise<HandlerFunction> {
  const { resolver, handlers } = folder(handlersPath);
  const { run } = await resolver.resolve(methodName);
  handlers.set(methodName.toLowerCase(), run);
  return run;
}

/**
 * The result as it can cross to the main thread: primitives as they are, anything else serialized here (the
 * structured clone the transfer would make anyway), so a result that cannot cross fails its job with a clear
 * error instead of crashing the worker.
 */
function portable(result: unknown, handlersPath: string): ThreadJobOutcome {
  if (result === null || !['object', 'function', 'symbol'].includes(typeof result)) {
    return { ok: true, result, serialized: false };
  }
  try {
    return { ok: true, result: serialize(result), serialized: true };
  } catch (error) {
    return { ok: false, errorInfo: errorInfoFrom(resultNotCloneable(error, result), handlersPath) };
  }
}
