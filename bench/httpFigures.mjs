// HTTP under CPU jobs: an Express app with `app.use(backgroundJobs())` on its defaults (thread isolation, a pool
// of as many threads as CPUs) serves a trivial route; autocannon measures the route with no job, then while
// threads × 10 jobs of 200 ms of CPU each are queued. The app runs in a process of its own (this file, started
// with `serve`), so that autocannon's own work stays out of its event loop; each response's time is kept to the
// microsecond (autocannon's histogram rounds to milliseconds).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express from 'express';
import { backgroundJobs } from 'web-background-jobs';
import { best, config, handlers, lower, ratioAtMost, row, silent, summary } from './measure.mjs';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 2);
const JOB_MS = 200;
const JOBS = availableParallelism() * 10;

/** Median and p99 of the trivial route's response times (ms) over `SECONDS` of autocannon's default load. */
async function load(url) {
  const times = [];
  const instance = autocannon({ url, duration: SECONDS });
  instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  await instance;
  return summary(times);
}

/** Rows of the HTTP section. */
export async function httpFigures() {
  const app = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(app.stdout, 'data');
  const base = `http://127.0.0.1:${JSON.parse(line).port}`;
  const route = `${base}/ping`;
  await load(route); // warm-up: JIT, connections
  const latency = await best(
    {
      idle: () => load(route),
      busy: async () => {
        // The jobs take threads × 10 × 200 ms / threads = 2 s of the pool, the load SECONDS: they stay queued.
        await fetch(`${base}/jobs`, { method: 'POST' });
        const busy = await load(route);
        await fetch(`${base}/jobs`); // waits until they have finished
        return busy;
      },
    },
    lower,
  );
  app.kill('SIGTERM');
  await once(app, 'exit');
  return [
    row(
      `http: a trivial route while ${JOBS} jobs of ${JOB_MS} ms CPU are queued (threads × 10), default settings, p99 (ms)`,
      latency.busy.p99,
      'the same route, no job',
      latency.idle.p99,
      ratioAtMost(2),
    ),
    row('http: the same, median (ms)', latency.busy.median, 'the same route, no job', latency.idle.median),
  ];
}

/** The app: the trivial route, and a door to queue the CPU jobs (POST /jobs) and wait for them (GET /jobs). */
async function serve() {
  const app = express();
  app.use(backgroundJobs({ handlers, config, logger: silent }));
  app.get('/ping', (_req, res) => void res.json({ ok: true }));
  app.post('/jobs', async (req, res) => {
    await Promise.all(Array.from({ length: JOBS }, () => req.backgroundJobs.execute('Bench.Cpu', [JOB_MS])));
    res.end();
  });
  app.get('/jobs', async (req, res) => {
    await req.backgroundJobs.waitForCompletion();
    res.end();
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') await serve();
