// What every section of `npm run bench` shares: the paths, the clock, throughput and percentile sampling, the
// best-of-rounds rule, a throwaway redis-server, and the row and target shapes run.mjs prints.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export const handlers = fileURLToPath(new URL('./handlers', import.meta.url));
/** Attaches the library and sets nothing else: every section runs on the defaults unless it says otherwise. */
export const config = fileURLToPath(new URL('./web.config', import.meta.url));
export const silent = { warn() {}, error() {} };
export const ROUNDS = 3;
export const BATCH = 1000;

/** Milliseconds on a clock every thread shares (a worker's `performance.now()` has its own origin). */
export const now = () => performance.timeOrigin + performance.now();

/** Milliseconds since `end` (a `now()` taken where a handler ended), read once the awaiting caller has resumed. */
export const sinceEnd = (end) => now() - end;

/** Milliseconds `work` takes. */
export async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Jobs per second for `jobs` jobs started in batches of `BATCH`, each batch awaited. */
export async function throughput(jobs, startBatch) {
  const started = performance.now();
  for (let done = 0; done < jobs; done += BATCH) await startBatch(Math.min(BATCH, jobs - done));
  return jobs / ((performance.now() - started) / 1000);
}

/** Median and 99th percentile of `samples` (sorted in place). */
export function summary(samples) {
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] };
}

/** Median and 99th percentile of `count` samples taken one after another. */
export async function percentiles(count, sample) {
  const samples = [];
  for (let index = 0; index < count; index += 1) samples.push(await sample());
  return summary(samples);
}

/**
 * The better of two measurements: the higher rate; or the lower time, field by field (`{ median, p99 }`, nested
 * ones too), so that a median and a p99 are each the best of the rounds.
 */
export const higher = (a, b) => Math.max(a, b);
export const lower = (a, b) =>
  typeof a === 'number'
    ? Math.min(a, b)
    : Object.fromEntries(Object.keys(a).map((field) => [field, lower(a[field], b[field])]));

/**
 * The best of `ROUNDS` rounds of each measurement in `figure` (`{ anchor, ours, … }`: functions resolving with a
 * measurement), taken in turn in every round so that all see the same machine state.
 */
export async function best(figure, better) {
  const results = {};
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, measure] of Object.entries(figure)) {
      const result = await measure();
      results[name] = name in results ? better(results[name], result) : result;
    }
  }
  return results;
}

/** Starts `count` jobs of `method` on `manager` and waits for them all. */
export async function jobBatch(manager, method, count, params = []) {
  const jobs = await Promise.all(Array.from({ length: count }, () => manager.execute(method, params)));
  await manager.waitForCompletion(jobs);
  return jobs;
}

/** Starts `count` jobs of `method` on `manager`, `BATCH` at a time, without waiting for them to finish. */
export async function executeAll(manager, method, count) {
  for (let started = 0; started < count; started += BATCH) {
    const batch = Math.min(BATCH, count - started);
    await Promise.all(Array.from({ length: batch }, () => manager.execute(method)));
  }
}

/** Bytes of heap in use after a full collection (`node --expose-gc`, as `npm run bench` starts it). */
export function heapUsed() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Sets `globalThis.benchGate`, which the Bench.Block handler waits on: `started` resolves once `expected` jobs have
 * started, `open()` lets every one of them (and any later) return.
 */
export function gate(expected) {
  let count = 0;
  let allStarted;
  let open;
  const started = new Promise((resolve) => (allStarted = resolve));
  const opened = new Promise((resolve) => (open = resolve));
  globalThis.benchGate = {
    start() {
      count += 1;
      if (count === expected) allStarted();
      return opened;
    },
  };
  return { started, open };
}

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  return port;
}

/** A throwaway redis-server on a free loopback port; resolves once it answers. */
export async function redisServer() {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('The Redis figures need redis-server on the PATH: apt-get install redis-server');
  }
  const port = await freePort();
  const folder = mkdtempSync(path.join(tmpdir(), 'wbj-bench-'));
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', folder],
    { stdio: 'ignore' },
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

/** Targets on the ratio ours / anchor, or on our figure alone: `(ours, anchor) => { text, met }`. */
export const ratioAtLeast = (least) => (ours, anchor) => ({
  text: `ratio ≥ ${least}`,
  met: ours / anchor >= least,
});
export const ratioAtMost = (most) => (ours, anchor) => ({
  text: `ratio ≤ ${most}`,
  met: ours / anchor <= most,
});
export const atMost = (most, text) => (ours) => ({ text, met: ours <= most });

/**
 * One printed row: `ours` beside `anchor` (a figure measured in the same run, or the target itself), checked
 * against the target when `rule` (one of the makers above) gives one.
 */
export const row = (figure, ours, anchorName, anchor, rule) => ({
  figure,
  ours,
  anchorName,
  anchor,
  target: rule?.(ours, anchor),
});

export const µs = (ms) => ms * 1000;

/** The median and p99 rows of two `summary()`s in milliseconds, shown in µs, both checked against `rule`. */
export const percentileRows = (figure, ours, anchorName, anchor, rule) =>
  ['median', 'p99'].map((at) => row(`${figure}, ${at} (µs)`, µs(ours[at]), anchorName, µs(anchor[at]), rule));
