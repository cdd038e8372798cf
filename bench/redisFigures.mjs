// The Redis store: our API on Redis (inline handlers, 100 at once) against BullMQ used the way a user writes it —
// Queue.add, a Worker of the same concurrency, Job.waitUntilFinished through QueueEvents, the same history
// options — on a redis-server of its own, started here. 100 jobs at once, then one job at a time.
import { Queue, QueueEvents, Worker } from 'bullmq';
import { BackgroundJobsManager } from 'web-background-jobs';
import {
  best,
  config,
  handlers,
  higher,
  jobBatch,
  lower,
  now,
  ratioAtLeast,
  ratioAtMost,
  redisServer,
  row,
  silent,
  summary,
  throughput,
  percentileRows,
  µs,
} from './measure.mjs';

const CONCURRENCY = 100;
const HISTORY = 1000;
const JOBS = Number(process.env.BENCH_REDIS_JOBS ?? 5000);
const WAITS = Number(process.env.BENCH_REDIS_WAITS ?? 1000);

/** Rows of the Redis section, on a redis-server of its own. */
export async function redisFigures() {
  const redis = await redisServer();
  const connection = { url: redis.url };
  const options = { removeOnComplete: { count: HISTORY }, removeOnFail: { count: HISTORY } };
  const queue = new Queue('raw', { connection });
  const events = new QueueEvents('raw', { connection });
  const worker = new Worker('raw', async (job) => (job.name === 'stamp' ? now() : undefined), {
    connection,
    concurrency: CONCURRENCY,
  });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
  queue.setMaxListeners(0); // waitUntilFinished listens on the queue once per job awaited
  const manager = new BackgroundJobsManager({
    handlers,
    config,
    logger: silent,
    isolation: 'inline',
    store: redis.url,
    queueName: 'ours',
    maxConcurrency: CONCURRENCY,
    historySize: HISTORY,
  });
  /** BullMQ's documented way to run a job and await it: add, then waitUntilFinished on QueueEvents. */
  const rawBatch = (count, name = 'noop') =>
    Promise.all(
      Array.from({ length: count }, async () =>
        (await queue.add(name, {}, options)).waitUntilFinished(events),
      ),
    );
  const rates = {
    bullmq: () => throughput(JOBS, (count) => rawBatch(count)),
    ours: () => throughput(JOBS, (count) => jobBatch(manager, 'Bench.Noop', count)),
  };
  /**
   * One job at a time, `WAITS` times: from `execute` to the wait resolved, and from the handler's end (the time it
   * returned) to the waiter resuming, both from the same jobs.
   */
  const oneByOne = (run) => async () => {
    const [totals, waits] = [[], []];
    for (let index = 0; index < WAITS; index += 1) {
      const started = performance.now();
      const end = await run();
      waits.push(now() - end);
      totals.push(performance.now() - started);
    }
    return { ...summary(totals), wait: summary(waits) };
  };
  const single = {
    bullmq: oneByOne(async () => (await rawBatch(1, 'stamp'))[0]),
    ours: oneByOne(async () => (await jobBatch(manager, 'Bench.Stamp', 1))[0].result),
  };
  for (const measure of Object.values(rates)) await measure(); // warm-up: connections, scripts, JIT
  const rate = await best(rates, higher);
  const oneAtATime = await best(single, lower);
  await manager.close();
  await Promise.all([worker.close(), events.close(), queue.close()]);
  await redis.stop();
  const raw = 'BullMQ Queue.add + Worker + `waitUntilFinished`';
  return [
    row(
      `redis (${CONCURRENCY} at once): execute → completion, empty handler (jobs/s)`,
      rate.ours,
      raw,
      rate.bullmq,
      ratioAtLeast(1),
    ),
    ...percentileRows(
      'redis: one job at a time, execute → wait resolved',
      oneAtATime.ours,
      raw,
      oneAtATime.bullmq,
      ratioAtMost(1.3),
    ),
    row(
      'redis: wait latency, handler end → waiter resumes, median (µs)',
      µs(oneAtATime.ours.wait.median),
      raw,
      µs(oneAtATime.bullmq.wait.median),
    ),
  ];
}
