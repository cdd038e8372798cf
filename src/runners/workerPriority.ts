// Worker threads below the event loop's CPU priority (jobsWorkerNice): with as many CPU-bound jobs as cores, the
// event loop got a core only as often as the scheduler shared it fairly, and a trivial route's p99 more than doubled
// (docs/benchmark.md, "HTTP under CPU jobs"). A worker with a higher nice value gives the core up whenever the event
// loop wakes, yet keeps it while the loop sleeps: the jobs still use every core (a pool one thread smaller would not).
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';

/** What ThreadRunner hands each worker of its pool as `workerData`. */
export interface WorkerPriority {
  readonly webBackgroundJobsNice: number;
}

/** What a worker posts on its `parentPort` when its priority could not be lowered. */
interface PriorityRefused {
  readonly webBackgroundJobsNiceRefused: string;
}

/**
 * Run first in each worker thread: lowers this thread's priority by `webBackgroundJobsNice` steps from the one it
 * inherited. Only on Linux, where `setpriority` on the calling thread's id 0 changes that thread alone; on macOS,
 * the BSDs and Windows it would lower the whole process, the event loop with it, so nothing is done there. A refusal
 * (a sandbox forbidding the call) never stops the worker: the jobs run at the event loop's priority, and the main
 * thread logs it once (readPriorityRefused).
 */
export function lowerWorkerPriority(): void {
  const steps = (workerData as WorkerPriority | undefined)?.webBackgroundJobsNice ?? 0;
  if (steps === 0 || process.platform !== 'linux') return;
  try {
    // Relative to what the thread inherited, as nice(1) is: raising a priority needs a privilege, lowering never does.
    os.setPriority(0, Math.min(19, os.getPriority(0) + steps));
  } catch (error) {
    parentPort?.postMessage({ webBackgroundJobsNiceRefused: String(error) } satisfies PriorityRefused);
  }
}

/** Why a worker's priority was not lowered, from a message on its `parentPort`, or `undefined` for another message. */
export function readPriorityRefused(message: unknown): string | undefined {
  const reason = (message as Partial<PriorityRefused> | null)?.webBackgroundJobsNiceRefused;
  return typeof reason === 'string' ? reason : undefined;
}
