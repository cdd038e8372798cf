// Thread jobs beside Piscina used directly: with its default options, as people use it, and with the settings of
// the library's own pool (as many threads as CPUs, started at once, idle workers on their event loop); the
// manager runs on its defaults. Empty jobs, a 200,000-iteration loop, and one job at a time, also beside the floor
// (a bare postMessage round trip to a worker that echoes it) and beside an inline job (the manager's own path, which
// every job pays whatever runs it): the row less these two is what only a thread job pays.
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { BackgroundJobsManager } from 'web-background-jobs';
import {
  best,
  config,
  handlers,
  higher,
  jobBatch,
  lower,
  percentiles,
  ratioAtLeast,
  ratioAtMost,
  row,
  silent,
  throughput,
  timed,
  percentileRows,
} from './measure.mjs';

const JOBS = Number(process.env.BENCH_THREAD_JOBS ?? 20_000);
const LOOP_JOBS = Number(process.env.BENCH_LOOP_JOBS ?? 5000);
const LOOP = 200_000;
const WAITS = Number(process.env.BENCH_WAITS ?? 2000);
const THREADS = availableParallelism();
const task = fileURLToPath(new URL('./piscinaTask.js', import.meta.url));

/** Rows of the thread section. */
export async function threadFigures() {
  const manager = new BackgroundJobsManager({ handlers, config, logger: silent });
  const inline = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
  const piscina = new Piscina({ filename: task });
  const sameSettings = new Piscina({
    filename: task,
    minThreads: THREADS,
    maxThreads: THREADS,
    atomics: 'disabled',
  });
  const echo = await echoWorker();
  const runs = (pool, count, work) => Promise.all(Array.from({ length: count }, () => pool.run(work)));
  const empty = {
    piscina: () => throughput(JOBS, (count) => runs(piscina, count)),
    sameSettings: () => throughput(JOBS, (count) => runs(sameSettings, count)),
    ours: () => throughput(JOBS, (count) => jobBatch(manager, 'Bench.Noop', count)),
  };
  const loops = {
    piscina: () => throughput(LOOP_JOBS, (count) => runs(piscina, count, LOOP)),
    ours: () => throughput(LOOP_JOBS, (count) => jobBatch(manager, 'Bench.Loop', count, [LOOP])),
  };
  const single = {
    piscina: () => percentiles(WAITS, () => timed(() => piscina.run())),
    ours: () => percentiles(WAITS, () => timed(() => jobBatch(manager, 'Bench.Noop', 1))),
    floor: () => percentiles(WAITS, () => timed(echo.roundTrip)),
    inline: () => percentiles(WAITS, () => timed(() => jobBatch(inline, 'Bench.Noop', 1))),
  };
  for (const measure of Object.values(empty)) await measure(); // warm-up: threads, module loading, JIT
  const emptyRate = await best(empty, higher);
  const loopRate = await best(loops, higher);
  const oneAtATime = await best(single, lower);
  await Promise.all([
    manager.close(),
    inline.close(),
    piscina.destroy(),
    sameSettings.destroy(),
    echo.terminate(),
  ]);
  const defaults = 'Piscina 5, default options';
  return [
    row(
      `thread (${THREADS} threads): execute → completion, empty handler (jobs/s)`,
      emptyRate.ours,
      defaults,
      emptyRate.piscina,
      ratioAtLeast(0.8),
    ),
    row(
      'thread: the same (jobs/s)',
      emptyRate.ours,
      `Piscina, the library's pool settings (${THREADS} threads, atomics off)`,
      emptyRate.sameSettings,
    ),
    row(
      `thread: execute → completion, a ${LOOP.toLocaleString('en')}-iteration loop (jobs/s)`,
      loopRate.ours,
      defaults,
      loopRate.piscina,
    ),
    ...percentileRows(
      'thread: one job at a time, execute → wait resolved',
      oneAtATime.ours,
      '`Piscina.run`, default options',
      oneAtATime.piscina,
      ratioAtMost(1.3),
    ),
    ...percentileRows(
      'thread: the same',
      oneAtATime.ours,
      'a bare `postMessage` round trip to an idle worker (the floor)',
      oneAtATime.floor,
    ),
    ...percentileRows(
      'thread: the same',
      oneAtATime.ours,
      "an inline job one at a time (the manager's own path, no thread)",
      oneAtATime.inline,
    ),
  ];
}

/** A worker that posts back every message it gets: one round trip is the least any pool can take for a task. */
async function echoWorker() {
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));",
    { eval: true },
  );
  await once(worker, 'online');
  let answered;
  worker.on('message', () => answered());
  return {
    roundTrip: () =>
      new Promise((resolve) => {
        answered = resolve;
        worker.postMessage(0);
      }),
    terminate: () => worker.terminate(),
  };
}
