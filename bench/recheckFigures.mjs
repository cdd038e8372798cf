// The Redis safety re-check at scale: the commands per second an idle web-only instance sends to Redis while it
// holds 10,000 active jobs, with `jobsCheckInterval` at its default of 1 s; then the same jobs running on a worker
// instance (inline handlers waiting on a gate the bench opens), whose BullMQ lock renewals come on top. Counted by the server itself: `INFO commandstats` before and after a window of a few intervals, the
// INFO calls left out; the instance is the only other client of its redis-server.
import { Redis } from 'ioredis';
import { BackgroundJobsManager } from 'web-background-jobs';
import {
  atMost,
  best,
  config,
  executeAll,
  gate,
  handlers,
  lower,
  redisServer,
  row,
  silent,
} from './measure.mjs';

const JOBS = Number(process.env.BENCH_HELD_JOBS ?? 10_000);
const CHECK_INTERVAL = 1000;
const WINDOW = 3 * CHECK_INTERVAL;

/** Calls of every command the server has run, INFO excluded. */
async function commandCalls(redis) {
  const stats = await redis.info('commandstats');
  let calls = 0;
  for (const [, command, count] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (command !== 'info') calls += Number(count);
  }
  return calls;
}

/** Commands per second the server runs over `WINDOW`, best (lowest) of the rounds. */
async function commandRate(counter) {
  const rate = await best(
    {
      ours: async () => {
        const before = await commandCalls(counter);
        await new Promise((resolve) => setTimeout(resolve, WINDOW));
        return ((await commandCalls(counter)) - before) / (WINDOW / 1000);
      },
    },
    lower,
  );
  return rate.ours;
}

/**
 * Every job ran its handler to its end (the gate opened): a job that failed on the web-only instance is read wrong
 * there (issue 17, round 7: WBJ_JOB_LOST when its end event and record were both gone). Says how many, and why.
 */
function failedOnWebOnly(error) {
  if (error?.code !== 'WBJ_JOBS_FAILED') throw error;
  const codes = new Map();
  for (const job of error.jobs) codes.set(job.errorInfo?.code, (codes.get(job.errorInfo?.code) ?? 0) + 1);
  const why = [...codes].map(([code, count]) => `${count.toLocaleString('en')} with ${code ?? 'no code'}`);
  throw new Error(
    `recheck: ${error.jobs.length.toLocaleString('en')} of ${JOBS.toLocaleString('en')} jobs a worker ran to their end read Failed on the web-only instance that executed them (${why.join(', ')}), e.g. ${error.jobs[0].uuid}: ${error.jobs[0].errorInfo?.description}`,
  );
}

/**
 * Rows of the re-check section, on a redis-server of its own: a web-only instance holding `JOBS` active jobs that no
 * worker has taken (all it sends is the re-check), then a worker instance running them (the re-check plus BullMQ's
 * lock renewals, three commands a running job every `jobsLostWorkerSeconds` / 5).
 */
export async function recheckFigures() {
  const server = await redisServer();
  const counter = new Redis(server.url);
  const options = {
    handlers,
    config,
    logger: silent,
    isolation: 'inline',
    store: server.url,
    queueName: 'held',
  };
  const webOnly = new BackgroundJobsManager({ ...options, worker: false, checkInterval: CHECK_INTERVAL });
  await executeAll(webOnly, 'Bench.Block', JOBS);
  const held = await commandRate(counter);
  const started = gate(JOBS);
  const worker = new BackgroundJobsManager({
    ...options,
    maxConcurrency: JOBS,
    checkInterval: CHECK_INTERVAL,
  });
  await started.started;
  const running = await commandRate(counter);
  started.open();
  await webOnly.waitForCompletion(await webOnly.getBackgroundJobs(), 120).catch(failedOnWebOnly);
  await Promise.all([webOnly.close(), worker.close()]);
  counter.disconnect();
  await server.stop();
  return [
    row(
      `recheck: Redis commands/s from an idle web-only instance holding ${JOBS.toLocaleString('en')} active jobs (jobsCheckInterval 1 s)`,
      held,
      'target',
      100,
      atMost(100, '≤ 100/s'),
    ),
    row(
      `recheck: the same jobs running on a worker instance beside it: re-checks and BullMQ's lock renewals (commands/s)`,
      running,
      'web-only instance alone',
      held,
    ),
  ];
}
