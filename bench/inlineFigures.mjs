// Inline jobs beside the in-process queues a user would pick instead: p-queue (concurrency ∞) and fastq, each
// running the same empty function; then how soon a waiter resumes once a job's handler has ended.
import fastq from 'fastq';
import PQueue from 'p-queue';
import { BackgroundJobsManager } from 'web-background-jobs';
import {
  atMost,
  best,
  config,
  handlers,
  higher,
  jobBatch,
  lower,
  percentiles,
  ratioAtLeast,
  row,
  silent,
  throughput,
  µs,
} from './measure.mjs';

const JOBS = Number(process.env.BENCH_JOBS ?? 50_000);
const WAITS = Number(process.env.BENCH_WAITS ?? 2000);

const noop = () => undefined;
// Both ends of a wait on this thread's clock (the handlers' Now), at full precision: the shared clock of other
// sections (the time origin plus now()) moves in steps of 0.244 µs, an eighth of the target.
const stamp = () => performance.now();
const sinceEnd = (end) => performance.now() - end;

/** Rows of the inline section. */
export async function inlineFigures() {
  const manager = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
  const pQueue = new PQueue({ concurrency: Infinity });
  // fastq's promise API takes an async worker; the task is the function to run, as p-queue's is.
  const fastQueue = fastq.promise(async (task) => task(), Infinity);
  const all = (count, start) => Promise.all(Array.from({ length: count }, start));
  const rates = {
    pQueue: () => throughput(JOBS, (count) => all(count, () => pQueue.add(noop))),
    fastq: () => throughput(JOBS, (count) => all(count, () => fastQueue.push(noop))),
    ours: () => throughput(JOBS, (count) => jobBatch(manager, 'Bench.Noop', count)),
  };
  // From the handler's end (the time it returns) to the caller awaiting the job resuming, read right there in both
  // columns (ours once read after jobBatch had returned, one more await).
  const waits = {
    pQueue: () => percentiles(WAITS, async () => sinceEnd(await pQueue.add(stamp))),
    ours: () =>
      percentiles(WAITS, async () => {
        const job = await manager.execute('Bench.Now');
        await manager.waitForCompletion([job]);
        return sinceEnd(job.result);
      }),
  };
  for (const measure of Object.values(rates)) await measure(); // warm-up: module loading, JIT
  const rate = await best(rates, higher);
  const wait = await best(waits, lower);
  await manager.close();
  const batches = `batches of 1,000`;
  return [
    row(
      `inline: execute → completion, empty handler, ${batches} (jobs/s)`,
      rate.ours,
      'p-queue 9, concurrency ∞',
      rate.pQueue,
      ratioAtLeast(0.4),
    ),
    row(`inline: the same (jobs/s)`, rate.ours, 'fastq, concurrency ∞', rate.fastq),
    row(
      'inline: wait latency, handler end → `waitForCompletion` caller resumes, median (µs)',
      µs(wait.ours.median),
      'p-queue `await add()`',
      µs(wait.pQueue.median),
      atMost(2, '≤ 2 µs'),
    ),
    row('inline: the same, p99 (µs)', µs(wait.ours.p99), 'p-queue `await add()`', µs(wait.pQueue.p99)),
  ];
}
