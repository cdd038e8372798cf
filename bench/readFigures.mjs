// The dashboard's reads over a large history: 1,000 jobs of 1 MB params and one job with a million messages, in
// memory and on Redis. Each store is measured in a Node process of its own (a fresh heap, so that the RSS growth
// is the polls' own), beside a trivial Express route of the same server, sampled in the same loop.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Redis } from 'ioredis';
import { backgroundJobsDashboard, BackgroundJobsManager } from 'web-background-jobs';
import { atMost, config, handlers, redisServer, row, silent, summary } from './measure.mjs';

const JOBS = 1000;
const PARAM_BYTES = 1024 * 1024;
const MESSAGES = 1_000_000;
const POLLS = Number(process.env.BENCH_READ_POLLS ?? 200);
/** Jobs started at once while seeding, so that only a few params are in memory at a time. */
const SEED_BATCH = 20;

/**
 * Rows of the dashboard-reads section, measured once per store (percentiles of `POLLS` samples each) beside the
 * trivial route, or for RSS the 50 MB target, on a redis-server of its own.
 */
export async function readFigures() {
  const server = await redisServer();
  const rows = [];
  for (const store of ['memory', 'redis']) {
    const figures = await measuredApart(store, { redisUrl: server.url });
    const trivial = 'trivial Express route';
    rows.push(
      row(
        `${store}: dashboard list, the first poll of a new process (ms)`,
        figures.firstList,
        `${trivial}, first request`,
        figures.firstTrivial,
      ),
      row(
        `${store}: dashboard list, ${JOBS.toLocaleString('en')} jobs of 1 MB params, p99 (ms)`,
        figures.list.p99,
        trivial,
        figures.trivial.p99,
      ),
      row(
        `${store}: job details, a job of 1,000,000 messages, p99 (ms)`,
        figures.details.p99,
        trivial,
        figures.trivial.p99,
      ),
      row(
        `${store}: RSS peak over ${POLLS} list + details polls, growth (MB)`,
        figures.rssGrowthMb,
        'target',
        50,
        atMost(50, '< 50 MB'),
      ),
    );
  }
  await server.stop();
  return rows;
}

/** Runs this file as a process of its own for `store`, and reads the figures it prints. */
function measuredApart(store, settings) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), store], {
      env: { ...process.env, WBJ_BENCH_READS: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(output))
        : reject(new Error(`The ${store} read bench exited with ${code}`)),
    );
  });
}

/** A manager with `JOBS` finished jobs of 1 MB params and one with `MESSAGES` messages; resolves with the latter. */
async function seed(store, { redisUrl }) {
  const manager = new BackgroundJobsManager({
    handlers,
    config,
    logger: silent,
    isolation: 'inline',
    historySize: 2 * JOBS,
    ...(store === 'redis' && { store: redisUrl, queueName: 'reads' }),
  });
  const param = 'p'.repeat(PARAM_BYTES);
  for (let started = 0; started < JOBS; started += SEED_BATCH) {
    const batch = Array.from({ length: SEED_BATCH }, () => manager.execute('Bench.Noop', [param]));
    await manager.waitForCompletion(await Promise.all(batch));
  }
  if (store === 'memory') {
    const talkative = await manager.execute('Bench.Messages', [MESSAGES]);
    await talkative.waitForCompletion();
    return { manager, talkative };
  }
  // On Redis a handler stores its messages one round trip at a time (a million take minutes): the log of a
  // finished job gets them here instead, as its handler would have written them.
  const talkative = await manager.execute('Bench.Noop');
  await talkative.waitForCompletion();
  const redis = new Redis(redisUrl);
  const date = new Date().toISOString();
  for (let from = 0; from < MESSAGES; from += 10_000) {
    const entries = Array.from({ length: 10_000 }, (_, n) =>
      JSON.stringify({ text: String(from + n), date }),
    );
    await redis.rpush(`bull:reads:${talkative.uuid}:logs`, ...entries);
  }
  redis.disconnect();
  return { manager, talkative };
}

/** Milliseconds of one GET, body read. */
async function timed(url) {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return performance.now() - started;
}

async function measure(store) {
  const { manager, talkative } = await seed(store, JSON.parse(process.env.WBJ_BENCH_READS));
  const app = express();
  app.get('/ping', (_req, res) => void res.json({ ok: true }));
  app.use('/dashboard', backgroundJobsDashboard({ manager }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const urls = {
    trivial: `${base}/ping`,
    list: `${base}/dashboard/api/jobs`,
    details: `${base}/dashboard/api/jobs/${talkative.uuid}`,
  };
  // The first list reads every job's summary; later ones, those of unfinished jobs only (on Redis).
  const firstTrivial = await timed(urls.trivial);
  const firstList = await timed(urls.list);
  for (let warm = 0; warm < 5; warm += 1) for (const url of Object.values(urls)) await timed(url);
  globalThis.gc();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const samples = { trivial: [], list: [], details: [] };
  for (let poll = 0; poll < POLLS; poll += 1) {
    for (const [name, url] of Object.entries(urls)) samples[name].push(await timed(url));
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }
  const rssGrowthMb = (rssPeak - rssBefore) / 1024 / 1024;
  server.close();
  await manager.close();
  return {
    firstTrivial,
    firstList,
    trivial: summary(samples.trivial),
    list: summary(samples.list),
    details: summary(samples.details),
    rssGrowthMb,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await measure(process.argv[2])));
}
