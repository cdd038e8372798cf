// The Redis safety re-check at scale: the commands per second an idle instance sends to Redis while it holds
// 10,000 active jobs (inline handlers waiting on a gate the bench opens), with `jobsCheckInterval` at its default
// of 1 s. Counted by the server itself: `INFO commandstats` before and after a window of a few intervals, the
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

/** Rows of the re-check section, on a redis-server of its own. */
export async function recheckFigures() {
  const server = await redisServer();
  const counter = new Redis(server.url);
  const held = gate(JOBS);
  const manager = new BackgroundJobsManager({
    handlers,
    config,
    logger: silent,
    isolation: 'inline',
    store: server.url,
    queueName: 'held',
    maxConcurrency: JOBS,
    checkInterval: CHECK_INTERVAL,
  });
  await executeAll(manager, 'Bench.Block', JOBS);
  await held.started;
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
  held.open();
  await manager.close();
  counter.disconnect();
  await server.stop();
  return [
    row(
      `recheck: Redis commands/s from an idle instance holding ${JOBS.toLocaleString('en')} active jobs (jobsCheckInterval 1 s)`,
      rate.ours,
      'target',
      100,
      atMost(100, '≤ 100/s'),
    ),
  ];
}
