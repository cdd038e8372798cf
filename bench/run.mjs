// `npm run bench`: the library's cost per job, each figure beside a bare-Promise anchor measured in the same
// run, reported as a ratio (the absolute numbers depend on the machine; the ratios much less).
import { fileURLToPath } from 'node:url';
import { BackgroundJobsManager } from 'web-background-jobs';

const handlers = fileURLToPath(new URL('./handlers', import.meta.url));
const silent = { warn() {}, error() {} };
const JOBS = Number(process.env.BENCH_JOBS ?? 50_000);
const BATCH = 1000;
const WAITS = Number(process.env.BENCH_WAITS ?? 2000);
const ROUNDS = 3;

/** Jobs per second for `JOBS` jobs started in batches of `BATCH`, each batch awaited. */
async function throughput(startBatch) {
  const started = performance.now();
  for (let done = 0; done < JOBS; done += BATCH) await startBatch(BATCH);
  return JOBS / ((performance.now() - started) / 1000);
}

/** Median milliseconds from a job's end to the moment its waiter resumes. */
async function waitLatency(oneWait) {
  const samples = [];
  for (let index = 0; index < WAITS; index += 1) samples.push(await oneWait());
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const noop = () => undefined;
const anchors = {
  // The least a "run this in the background, then tell me it finished" can cost: a Promise per job.
  throughput: () =>
    throughput((count) => Promise.all(Array.from({ length: count }, () => Promise.resolve().then(noop)))),
  // A job that ends on a later turn of the event loop and a waiter on its promise.
  waitLatency: () =>
    waitLatency(async () => {
      let end = 0;
      await new Promise((resolve) =>
        setImmediate(() => {
          end = performance.now();
          resolve();
        }),
      );
      return performance.now() - end;
    }),
};

const manager = new BackgroundJobsManager({
  handlers,
  logger: silent,
  config: fileURLToPath(new URL('../config/web.config', import.meta.url)),
});
const library = {
  throughput: () =>
    throughput(async (count) => {
      const jobs = await Promise.all(Array.from({ length: count }, () => manager.execute('Bench.Noop')));
      await manager.waitForCompletion(jobs);
    }),
  waitLatency: () =>
    waitLatency(async () => {
      const job = await manager.execute('Bench.Stamp');
      await manager.waitForCompletion([job]);
      return performance.now() - globalThis.benchHandlerEnd;
    }),
};

/** The best of a few rounds, alternating anchor and library so both see the same machine state. */
async function best(name, better) {
  let anchor;
  let ours;
  for (let round = 0; round < ROUNDS; round += 1) {
    const a = await anchors[name]();
    const o = await library[name]();
    anchor = anchor === undefined ? a : better(anchor, a);
    ours = ours === undefined ? o : better(ours, o);
  }
  return { anchor, ours };
}

await library.throughput(); // warm-up: module loading, JIT
const jobsPerSecond = await best('throughput', Math.max);
const latency = await best('waitLatency', Math.min);

const rows = [
  [
    'execute → completion, empty handler (jobs/s)',
    jobsPerSecond.ours,
    jobsPerSecond.anchor,
    jobsPerSecond.ours / jobsPerSecond.anchor,
  ],
  [
    'median wait latency after the job ends (µs)',
    latency.ours * 1000,
    latency.anchor * 1000,
    latency.ours / latency.anchor,
  ],
];
console.log(
  `node ${process.version}, ${JOBS} jobs in batches of ${BATCH}, ${WAITS} waits, best of ${ROUNDS} rounds\n`,
);
console.log('| figure | web-background-jobs | bare Promise anchor | ratio |\n|---|---:|---:|---:|');
for (const [name, ours, anchor, ratio] of rows) {
  const digits = ours < 100 ? 1 : 0;
  console.log(`| ${name} | ${ours.toFixed(digits)} | ${anchor.toFixed(digits)} | ${ratio.toFixed(3)} |`);
}
