// 1,000 browsers watching 1,000 running jobs through the jobs API's event streams (GET /:uuid/events), on one
// instance: the app (this file, started with `serve`) runs 1,000 inline jobs, each reporting a progress and a message
// every second, and serves the streams; this process opens them and reads every event, as the browsers would. Two
// figures, measured in the app: its event-loop delay p99 while the streams are open (anchor: the same jobs, no
// stream), and the heap each stream holds (anchor: a response merely held open, what any hand-written SSE route costs).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { backgroundJobs, backgroundJobsApi } from 'web-background-jobs';
import { best, config, handlers, heapUsed, lower, row, silent, atMost } from './measure.mjs';

const STREAMS = Number(process.env.BENCH_SSE_STREAMS ?? 1000);
const TICK_MS = 1000;
const SECONDS = Number(process.env.BENCH_SSE_SECONDS ?? 3);

/** Rows of the SSE section. */
export async function sseFigures() {
  const app = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(app.stdout, 'data');
  const base = `http://127.0.0.1:${JSON.parse(line).port}`;
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const ask = async (path) => (await fetch(`${base}${path}`, { method: 'POST' })).json();
  const uuids = await ask(`/start?ms=${TICK_MS}`);
  closeAll(
    await openAll(
      uuids.map(() => `${base}/hold`),
      agent,
    ),
  ); // warm-up: JIT, the parsers' free list
  const delay = await best(
    {
      noStream: () => ask(`/delay?seconds=${SECONDS}`),
      streams: async () => {
        const streams = await openAll(
          uuids.map((uuid) => `${base}/api/jobs/${uuid}/events`),
          agent,
        );
        const before = delivered.events;
        const measured = await ask(`/delay?seconds=${SECONDS}`);
        closeAll(streams);
        return { ...measured, perSecond: (delivered.events - before) / SECONDS };
      },
    },
    (a, b) => ({ p99: Math.min(a.p99, b.p99), perSecond: Math.max(a.perSecond ?? 0, b.perSecond ?? 0) }),
  );
  const heapOf = async (paths) => {
    const before = (await ask('/heap')).bytes;
    const streams = await openAll(paths, agent);
    const after = (await ask('/heap')).bytes;
    closeAll(streams);
    return (after - before) / paths.length;
  };
  // On jobs that report once and then wait, so the heap holds still: the ticking ones add a thousand messages a second.
  await ask('/cancel');
  const quiet = await ask(`/start?ms=${2 ** 31 - 1}`);
  // Best of rounds: the first connections leave HTTP parsers in Node's free list (up to 1,000) for later ones.
  const heap = await best(
    {
      held: () => heapOf(quiet.map(() => `${base}/hold`)),
      streamed: () => heapOf(quiet.map((uuid) => `${base}/api/jobs/${uuid}/events`)),
    },
    lower,
  );
  app.kill('SIGTERM');
  await once(app, 'exit');
  return [
    row(
      `sse: event-loop delay p99 with ${STREAMS} streams open on ${STREAMS} running jobs (a progress and a message each a second) (ms)`,
      delay.streams.p99,
      'the same jobs, no stream',
      delay.noStream.p99,
      atMost(50, 'p99 ≤ 50 ms'),
    ),
    row(
      'sse: events read by the streams per second while measured (a progress and a message a job a second)',
      delay.streams.perSecond,
      'events the jobs report per second',
      (2 * STREAMS * 1000) / TICK_MS,
    ),
    row(
      `sse: heap per open stream of a running job (KB)`,
      heap.streamed / 1024,
      'a response held open (hand-written SSE)',
      heap.held / 1024,
    ),
  ];
}

/** Events the streams have read, counted by their `event:` lines. */
const delivered = { events: 0 };

/** Opens each URL as an EventSource would and resolves once each has sent its first event (or line). */
async function openAll(urls, agent) {
  return Promise.all(
    urls.map(
      (url) =>
        new Promise((resolve, reject) => {
          const request = http.get(url, { agent, headers: { Accept: 'text/event-stream' } }, (response) => {
            response.setEncoding('utf8');
            response.once('data', () => resolve(request));
            // Read every event, as a browser does.
            response.on('data', (chunk) => (delivered.events += chunk.split('\nevent: ').length - 1));
          });
          request.on('error', reject);
        }),
    ),
  );
}

function closeAll(requests) {
  for (const request of requests) request.destroy();
}

/** The app: the jobs API, the jobs, a held-open route, and the doors through which the bench measures it. */
async function serve() {
  const app = express();
  const middleware = backgroundJobs({ handlers, config, logger: silent, isolation: 'inline' });
  app.use(middleware);
  app.use('/api/jobs', backgroundJobsApi({ methods: ['Bench.Tick'], owner: false }));
  app.get('/hold', (_req, res) => {
    res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' }).flushHeaders();
    res.write('retry: 1000\n\n');
  });
  app.post('/start', async (req, res) => {
    const jobs = await Promise.all(
      Array.from({ length: STREAMS }, () => req.backgroundJobs.execute('Bench.Tick', [Number(req.query.ms)])),
    );
    res.json(jobs.map((job) => job.uuid));
  });
  app.post('/cancel', async (req, res) => {
    const jobs = await req.backgroundJobs.getBackgroundJobs({ state: 'Active' });
    await Promise.all(jobs.map((job) => job.cancel()));
    res.json(jobs.length);
  });
  app.post('/heap', (_req, res) => void res.json({ bytes: heapUsed() }));
  app.post('/delay', async (req, res) => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, Number(req.query.seconds) * 1000));
    histogram.disable();
    res.json({ p99: histogram.percentile(99) / 1e6 });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') await serve();
