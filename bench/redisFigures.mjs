// The Redis store's figures: our API on Redis against BullMQ's own Queue + Worker + QueueEvents used directly,
// on the same redis-server (started here, on a free loopback port) in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BackgroundJobsManager } from 'web-background-jobs';

const CONCURRENCY = 100;
const HISTORY = 1000;

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  return port;
}

/** A throwaway redis-server; resolves once it answers. */
async function redisServer() {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('The Redis figures need redis-server on the PATH: apt-get install redis-server');
  }
  const port = await freePort();
  const folder = mkdtempSync(path.join(tmpdir(), 'wbj-bench-'));
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', folder],
    {
      stdio: 'ignore',
    },
  );
  const probe = new Redis(port, '127.0.0.1', { retryStrategy: () => 20 });
  probe.on('error', () => {}); // refused until the server listens: retried
  await probe.ping();
  probe.disconnect();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      server.kill('SIGTERM');
      await once(server, 'exit');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * Figures for bench/run.mjs, named as there: `{ anchor, ours }` pairs of `throughput(jobs, startBatch)` and
 * `percentiles(sample)` measurements, with the rows that print them.
 */
export async function redisFigures({
  handlers,
  config,
  logger,
  throughput,
  percentiles,
  now,
  jobs,
  batchOf,
}) {
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
    logger,
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

  const figures = {
    redisThroughput: {
      anchor: () => throughput(jobs, (count) => rawBatch(count)),
      ours: () => throughput(jobs, (count) => batchOf(manager, 'Bench.Noop', count)),
    },
    redisWait: {
      anchor: () =>
        percentiles(async () => {
          const [end] = await rawBatch(1, 'stamp');
          return now() - end;
        }),
      ours: () =>
        percentiles(async () => {
          const [job] = await batchOf(manager, 'Bench.Stamp', 1);
          return now() - job.result;
        }),
    },
    redisRoundTrip: {
      anchor: () =>
        percentiles(async () => {
          const started = performance.now();
          await rawBatch(1);
          return performance.now() - started;
        }),
      ours: () =>
        percentiles(async () => {
          const started = performance.now();
          await batchOf(manager, 'Bench.Noop', 1);
          return performance.now() - started;
        }),
    },
  };
  const rows = [
    [
      `redis (${CONCURRENCY} at once): execute → completion, empty handler (jobs/s)`,
      'BullMQ add + waitUntilFinished',
      'redisThroughput',
      (x) => x,
    ],
    [
      'redis: median wait latency after the job ends (µs)',
      'BullMQ waitUntilFinished',
      'redisWait',
      (x) => x.median * 1000,
    ],
    [
      'redis: one job at a time, execute → wait resolved, median (µs)',
      'BullMQ add + waitUntilFinished',
      'redisRoundTrip',
      (x) => x.median * 1000,
    ],
    [
      'redis: one job at a time, execute → wait resolved, p99 (µs)',
      'BullMQ add + waitUntilFinished',
      'redisRoundTrip',
      (x) => x.p99 * 1000,
    ],
  ];
  const close = async () => {
    await manager.close();
    await Promise.all([worker.close(), events.close(), queue.close()]);
    await redis.stop();
  };
  return { figures, rows, close, url: redis.url, manager };
}
