// `npm run bench`: the library's cost per job, each figure beside an anchor measured in the same run and
// reported as a ratio (the absolute numbers depend on the machine; the ratios much less). Inline jobs are
// measured against bare Promises, thread jobs against Piscina used directly with a pool of the same size.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { BackgroundJobsManager } from 'web-background-jobs';
import { configFigures } from './configFigures.mjs';
import { readFigures } from './readFigures.mjs';
import { redisFigures } from './redisFigures.mjs';
import { scheduleFigures } from './scheduleFigures.mjs';

const handlers = fileURLToPath(new URL('./handlers', import.meta.url));
const config = fileURLToPath(new URL('../config/web.config', import.meta.url));
const silent = { warn() {}, error() {} };
const INLINE_JOBS = Number(process.env.BENCH_JOBS ?? 50_000);
const THREAD_JOBS = Number(process.env.BENCH_THREAD_JOBS ?? 20_000);
const REDIS_JOBS = Number(process.env.BENCH_REDIS_JOBS ?? 5000);
const BATCH = 1000;
const WAITS = Number(process.env.BENCH_WAITS ?? 2000);
const ROUNDS = 3;
const THREADS = availableParallelism();

const now = () => performance.timeOrigin + performance.now();

/** Jobs per second for `jobs` jobs started in batches of `BATCH`, each batch awaited. */
async function throughput(jobs, startBatch) {
  const started = performance.now();
  for (let done = 0; done < jobs; done += BATCH) await startBatch(BATCH);
  return jobs / ((performance.now() - started) / 1000);
}

/** Median and 99th percentile of `WAITS` samples, in milliseconds; one sample at a time. */
async function percentiles(sample) {
  const samples = [];
  for (let index = 0; index < WAITS; index += 1) samples.push(await sample());
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] };
}

const noop = () => undefined;
const inline = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
const thread = new BackgroundJobsManager({
  handlers,
  config,
  logger: silent,
  isolation: 'thread',
  maxThreads: THREADS,
});
const pool = new Piscina({
  filename: fileURLToPath(new URL('./piscinaTask.js', import.meta.url)),
  minThreads: THREADS,
  maxThreads: THREADS,
  atomics: 'disabled', // as the library's pool: workers keep their event loop running between tasks
});

/** Starts `count` jobs of `method` on `manager` and waits for them all. */
async function jobBatch(manager, method, count) {
  const jobs = await Promise.all(Array.from({ length: count }, () => manager.execute(method)));
  await manager.waitForCompletion(jobs);
  return jobs;
}

const redis = await redisFigures({
  handlers,
  config,
  logger: silent,
  throughput,
  percentiles,
  now,
  jobs: REDIS_JOBS,
  batchOf: jobBatch,
});

const schedules = scheduleFigures({ inline, redisManager: redis.manager, redisUrl: redis.url, now });
const configs = configFigures({ handlers, logger: silent });

/** Milliseconds from a job's handler ending to its waiter resuming. */
async function jobWaitLatency(manager) {
  const [job] = await jobBatch(manager, 'Bench.Stamp', 1);
  return now() - job.result;
}

const figures = {
  inlineThroughput: {
    anchor: () =>
      throughput(INLINE_JOBS, (count) =>
        Promise.all(Array.from({ length: count }, () => Promise.resolve().then(noop))),
      ),
    ours: () => throughput(INLINE_JOBS, (count) => jobBatch(inline, 'Bench.Noop', count)),
  },
  inlineWait: {
    // A job that ends on a later turn of the event loop, and a waiter on its promise.
    anchor: () =>
      percentiles(async () => {
        const end = await new Promise((resolve) => setImmediate(() => resolve(now())));
        return now() - end;
      }),
    ours: () => percentiles(() => jobWaitLatency(inline)),
  },
  threadThroughput: {
    anchor: () =>
      throughput(THREAD_JOBS, (count) => Promise.all(Array.from({ length: count }, () => pool.run(false)))),
    ours: () => throughput(THREAD_JOBS, (count) => jobBatch(thread, 'Bench.Noop', count)),
  },
  threadRoundTrip: {
    anchor: () =>
      percentiles(async () => {
        const started = performance.now();
        await pool.run(false);
        return performance.now() - started;
      }),
    ours: () =>
      percentiles(async () => {
        const started = performance.now();
        await jobBatch(thread, 'Bench.Noop', 1);
        return performance.now() - started;
      }),
  },
  ...redis.figures,
  ...schedules.figures,
  ...configs.figures,
};

/** The best of a few rounds, alternating anchor and library so both see the same machine state. */
async function best({ anchor, ours }, better) {
  let a;
  let o;
  for (let round = 0; round < ROUNDS; round += 1) {
    const anchorRun = await anchor();
    const ourRun = await ours();
    a = a === undefined ? anchorRun : better(a, anchorRun);
    o = o === undefined ? ourRun : better(o, ourRun);
  }
  return { anchor: a, ours: o };
}
const fastest = (a, b) => (typeof a === 'number' ? Math.max(a, b) : a.median <= b.median ? a : b);

// Warm-up: module loading, JIT, the thread pools.
await figures.inlineThroughput.ours();
await figures.threadThroughput.ours();
await figures.threadThroughput.anchor();
await figures.redisThroughput.ours();
await figures.redisThroughput.anchor();

const results = {};
for (const [name, figure] of Object.entries(figures)) results[name] = await best(figure, fastest);
const reads = await readFigures({ handlers, config, redisUrl: redis.url });
Object.assign(results, reads.results);
await Promise.all([inline.close(), thread.close(), pool.destroy(), redis.close()]);
configs.close();

const µs = (ms) => ms * 1000;
const rows = [
  [
    'inline: execute → completion, empty handler (jobs/s)',
    'bare Promise',
    results.inlineThroughput,
    (x) => x,
  ],
  [
    'inline: median wait latency after the job ends (µs)',
    'setImmediate + Promise',
    results.inlineWait,
    (x) => µs(x.median),
  ],
  [
    `thread (${THREADS} threads): execute → completion, empty handler (jobs/s)`,
    'Piscina.run',
    results.threadThroughput,
    (x) => x,
  ],
  [
    'thread: one job at a time, execute → wait resolved, median (µs)',
    'Piscina.run',
    results.threadRoundTrip,
    (x) => µs(x.median),
  ],
  [
    'thread: one job at a time, execute → wait resolved, p99 (µs)',
    'Piscina.run',
    results.threadRoundTrip,
    (x) => µs(x.p99),
  ],
  ...[...redis.rows, ...schedules.rows, ...configs.rows, ...reads.rows].map(
    ([name, anchorName, figure, read]) => [name, anchorName, results[figure], read],
  ),
];
console.log(
  `node ${process.version}, ${availableParallelism()} CPUs; ${INLINE_JOBS} inline, ${THREAD_JOBS} thread and ${REDIS_JOBS} Redis jobs in batches of ${BATCH}, ${WAITS} single jobs; best of ${ROUNDS} rounds\n`,
);
console.log('| figure | web-background-jobs | anchor | anchor figure | ratio |\n|---|---:|---|---:|---:|');
for (const [name, anchorName, { ours, anchor }, read] of rows) {
  const [o, a] = [read(ours), read(anchor)];
  const digits = o < 100 ? 1 : 0;
  console.log(
    `| ${name} | ${o.toFixed(digits)} | ${anchorName} | ${a.toFixed(digits)} | ${(o / a).toFixed(3)} |`,
  );
}
