import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type ResourceLimits,
  Worker,
} from 'node:worker_threads';
import { WORKER_READY, type WorkerPortNote } from './threadProtocol';

/** How a worker died other than by {@link WorkerPool.terminate}: the uncaught error it reported, or its exit. */
export type WorkerCrash = { readonly error: unknown } | { readonly exitCode: number };

/** How a task's worker died: terminated by {@link WorkerPool.terminate}, or crashed. */
export type WorkerDeath =
  { readonly terminated: true } | { readonly terminated: false; readonly crash: WorkerCrash };

/** A task of the pool: one request to one worker, then the messages that worker sends until the task says it is over. */
export interface PoolTask {
  /** Posted on the worker's port when the task's turn comes. */
  readonly request: unknown;
  /**
   * A message on the port of the worker running the task (the port, for answers); returns whether it ended the
   * task, which frees the worker for the next one.
   */
  readonly receive: (message: unknown, port: MessagePort) => boolean;
  /** The task's worker died under it, or the task was terminated before its turn: it is over. */
  readonly died: (death: WorkerDeath) => void;
}

export interface WorkerPoolOptions {
  /**
   * The worker's entry file: it reads its port from the first message on its `parentPort` ({@link WorkerPortNote}),
   * and says it is ready with a first message on that port ({@link WORKER_READY}).
   */
  readonly filename: string;
  readonly size: number;
  readonly resourceLimits: ResourceLimits | undefined;
  /** Each worker's `workerData`. */
  readonly workerData: unknown;
  /** A worker died while it ran no task: said here, never an uncaught 'error' of the application. */
  readonly idleCrash: (crash: WorkerCrash) => void;
  /** What a worker's own code (or a handler) posts on its `parentPort`. */
  readonly parentMessage: (message: unknown) => void;
}

/** A worker of the pool, with the private port its tasks travel on and the task it runs. */
interface PoolWorker {
  readonly thread: Worker;
  readonly port: MessagePort;
  task: PoolTask | undefined;
  /** Whether its code has loaded and taken its port: a worker that dies before that is not started again at once. */
  ready: boolean;
  /** Terminated, or reported a fatal error: it takes no task, and is out of the pool. */
  terminating: boolean;
  /** The uncaught error the worker reported before it exited. */
  error: unknown;
}

/**
 * A fixed-size pool of worker threads, started with the first task: one task at a time a worker, the rest queued
 * first in, first out; a worker that dies (crashed, exited, or terminated) is replaced at once. Each worker has a
 * port of its own, made here and handed to the worker's code before anything else runs there, on which its task
 * goes out and every message about the task comes back, in order: one `postMessage` each way, no per-task record.
 * Idle workers run their event loop, so a timer or I/O a finished task left behind runs while the worker waits.
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #workers = new Set<PoolWorker>();
  readonly #idle: PoolWorker[] = [];
  readonly #queue: PoolTask[] = [];
  /** Where each task runs, for terminate() and post(). */
  readonly #running = new Map<PoolTask, PoolWorker>();
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  /** Live workers (started or starting); 0 until the first task. */
  get threadCount(): number {
    return this.#workers.size;
  }

  run(task: PoolTask): void {
    while (this.#workers.size < this.#options.size) this.#start();
    const worker = this.#idle.pop();
    if (worker === undefined) this.#queue.push(task);
    else this.#assign(worker, task);
  }

  /** Posts `message` on the port of the worker running `task`; `false` if the task has no worker (queued or over). */
  post(task: PoolTask, message: unknown): boolean {
    const worker = this.#running.get(task);
    worker?.port.postMessage(message);
    return worker !== undefined;
  }

  /**
   * Ends `task`: a queued one is dropped, a running one has its worker terminated and replaced at once. The task is
   * over now, not when the thread exits: a handler blocked in a native call stops only when the call returns.
   */
  terminate(task: PoolTask): void {
    const worker = this.#running.get(task);
    if (worker !== undefined) {
      void worker.thread.terminate();
      this.#retire(worker);
      worker.task = undefined; // what it still posts is for no one
      worker.port.close();
      task.died({ terminated: true });
      this.#replace();
      return;
    }
    const queued = this.#queue.indexOf(task);
    if (queued === -1) return;
    this.#queue.splice(queued, 1);
    task.died({ terminated: true });
  }

  /**
   * Terminates every worker (their tasks must be over) and resolves once they have exited; a worker terminated
   * before, which may be blocked in a native call, is not waited for.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.died({ terminated: true });
    const workers = [...this.#workers];
    workers.forEach((worker) => this.#retire(worker));
    await Promise.all(workers.map((worker) => worker.thread.terminate()));
  }

  #start(): void {
    const { filename, resourceLimits, workerData } = this.#options;
    const thread = new Worker(filename, {
      workerData,
      ...(resourceLimits !== undefined && { resourceLimits }),
    });
    const { port1, port2 } = new MessageChannel();
    const worker: PoolWorker = {
      thread,
      port: port1,
      task: undefined,
      ready: false,
      terminating: false,
      error: undefined,
    };
    thread.postMessage({ webBackgroundJobsPort: port2 } satisfies WorkerPortNote, [port2]);
    port1.on('message', (message: unknown) => {
      if (!worker.ready) return void (worker.ready = message === WORKER_READY);
      if (worker.task?.receive(message, port1) === true) this.#free(worker);
    });
    port1.unref();
    thread.on('message', this.#options.parentMessage);
    // Without a listener a worker's uncaught exception would be an uncaught 'error' of the application. The worker
    // is dying: it leaves the idle list now, so that no task is handed to it before it exits.
    thread.on('error', (error: unknown) => {
      worker.error ??= error;
      this.#leaveIdle(worker);
    });
    thread.once('exit', (exitCode) => this.#exited(worker, exitCode));
    thread.unref(); // an idle pool keeps no application alive; a running task refs its worker
    this.#workers.add(worker);
    this.#idle.push(worker);
  }

  #assign(worker: PoolWorker, task: PoolTask): void {
    worker.task = task;
    this.#running.set(task, worker);
    worker.thread.ref(); // the application waits for its running jobs, and hears if their worker dies
    worker.port.postMessage(task.request);
  }

  #free(worker: PoolWorker): void {
    this.#running.delete(worker.task!);
    worker.task = undefined;
    // Its task ended as it was terminated, or as it reported a fatal error: it takes no other.
    if (worker.terminating || worker.error !== undefined) return;
    const next = this.#queue.shift();
    if (next !== undefined) return this.#assign(worker, next);
    worker.thread.unref();
    this.#idle.push(worker);
  }

  #exited(worker: PoolWorker, exitCode: number): void {
    if (worker.terminating) return void worker.port.close(); // retired already: its task, if any, is over
    this.#retire(worker);
    this.#drain(worker);
    worker.port.close();
    const { task } = worker;
    const crash: WorkerCrash = worker.error !== undefined ? { error: worker.error } : { exitCode };
    if (task !== undefined) {
      this.#running.delete(task);
      task.died({ terminated: false, crash });
    } else this.#options.idleCrash(crash);
    // A worker that died before it was ready (a memory limit too small for it, a preload that fails in workers) is
    // started again only for a task waiting: each such start fails at most one task, and an idle pool does not
    // start and lose workers in a loop.
    if (worker.ready || this.#queue.length > 0) this.#replace();
  }

  /** A fixed-size pool, like 1C's: a dead or terminated worker is replaced at once, and takes the next queued task. */
  #replace(): void {
    if (this.#closed) return;
    this.#start();
    const next = this.#queue.shift();
    if (next !== undefined) this.#assign(this.#idle.pop()!, next);
  }

  /** Takes `worker` out of the pool: it takes no task, and its exit is no longer the pool's business. */
  #retire(worker: PoolWorker): void {
    worker.terminating = true;
    this.#workers.delete(worker);
    this.#leaveIdle(worker);
    if (worker.task !== undefined) this.#running.delete(worker.task);
  }

  #leaveIdle(worker: PoolWorker): void {
    const idle = this.#idle.indexOf(worker);
    if (idle !== -1) this.#idle.splice(idle, 1);
  }

  /** Hands a dead worker's task what the worker posted before it died: notes, or even its end (the task is over). */
  #drain(worker: PoolWorker): void {
    let entry: { message: unknown } | undefined;
    while (worker.task !== undefined && (entry = receiveMessageOnPort(worker.port)) !== undefined) {
      if (!worker.task.receive(entry.message, worker.port)) continue;
      this.#running.delete(worker.task);
      worker.task = undefined;
    }
  }
}
