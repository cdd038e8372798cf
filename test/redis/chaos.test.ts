import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { eventually, tempDir } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';
import { type AppInstance, startInstance } from './instances';

// Chaos on Redis: two app processes share 200 short jobs, running and queued, when Redis crashes (kill -9, with and
// without its append-only file), loses every key (FLUSHDB) or drops the workers' connections (CLIENT KILL). After
// each: no job stays Active, every wait settles, the same processes run new jobs, and a handler that completed is
// never reported failed while Redis kept its data.
jest.setTimeout(120_000);

/**
 * The re-check every 300 ms, so that the suite stays short. Locks of 5 s, renewed every second at most: an outage of
 * a few seconds lapses none of them (a longer one is test/redis/outage.test.ts's).
 */
const CHECK_MS = 300;
const SETTINGS = {
  jobsCheckInterval: String(CHECK_MS),
  jobsLostWorkerSeconds: '5',
  jobsMaxConcurrency: '5',
  jobsQueueName: 'chaos',
};
const CHAOS_HANDLERS = path.join(__dirname, '..', 'fixtures', 'process', 'chaos-handlers');
/** The bound of every wait for a recovery: generous, for a loaded machine; a healthy run takes a few seconds. */
const RECOVERY_MS = 30_000;

interface Held {
  readonly uuid: string;
  readonly state: string;
  readonly end: string | null;
  readonly code?: string;
  readonly description?: string;
  readonly settled: boolean;
}

interface Cluster {
  readonly instances: AppInstance[];
  /** Where Chaos.Work writes the UUID of every job whose handler completed. */
  readonly ledger: string;
  /** Executes `count` jobs on `instance`; resolves once all are in Redis. */
  startOn(instance: AppInstance, count: number): Promise<string[]>;
  /** Every job the instances executed, as each instance's copy of it says now. */
  report(): Promise<Held[]>;
  /** The UUIDs of the jobs whose handler completed. */
  completedHandlers(): Set<string>;
}

async function cluster(redis: RedisServer): Promise<Cluster> {
  const ledger = path.join(tempDir(), 'ledger');
  const instances = await Promise.all([
    startInstance(redis.url, SETTINGS, undefined, CHAOS_HANDLERS),
    startInstance(redis.url, SETTINGS, undefined, CHAOS_HANDLERS),
  ]);
  return {
    instances,
    ledger,
    startOn: async (instance, count) =>
      (await request(instance.url).post('/start').send({ count, ledger }).expect(200)).body as string[],
    report: async () => {
      const reports = await Promise.all(
        instances.map((instance) => request(instance.url).get('/report').expect(200)),
      );
      return reports.flatMap((response) => response.body as Held[]);
    },
    completedHandlers: () =>
      new Set(existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** 100 jobs on each instance: with 5 at a time on each, most of them are queued when the chaos begins. */
async function startTwoHundred(jobs: Cluster): Promise<void> {
  await Promise.all(jobs.instances.map((instance) => jobs.startOn(instance, 100)));
}

/** A job as one line, for short failure messages. */
function line(job: Held): string {
  return `${job.uuid} ${job.state}${job.settled ? '' : ' (wait not settled)'} ${job.description ?? ''}`;
}

/** Every job has left Active and every wait has settled. */
async function everyJobEnded(jobs: Cluster): Promise<Held[]> {
  let held: Held[] = [];
  await eventually(async () => {
    held = await jobs.report();
    expect(held.filter((job) => job.state === 'Active' || !job.settled).map(line)).toEqual([]);
  }, RECOVERY_MS);
  return held;
}

/** The same processes, without a restart, run a new batch to completion (once they have reconnected). */
async function newJobsComplete(jobs: Cluster): Promise<void> {
  const fresh = new Set<string>();
  await Promise.all(
    jobs.instances.map((instance) =>
      eventually(async () => {
        for (const uuid of await jobs.startOn(instance, 10)) fresh.add(uuid);
      }, RECOVERY_MS),
    ),
  );
  await eventually(async () => {
    const held = (await jobs.report()).filter((job) => fresh.has(job.uuid));
    expect(held.map((job) => [job.state, job.settled])).toEqual(
      Array.from({ length: fresh.size }, () => ['Completed', true]),
    );
  }, RECOVERY_MS);
}

/** What every scenario holds: a job reads Completed only if its handler completed; failures say why. */
function expectTruthful(held: Held[], jobs: Cluster, allowedCodes: string[]): void {
  const completed = jobs.completedHandlers();
  expect(held.filter((job) => job.state === 'Completed' && !completed.has(job.uuid)).map(line)).toEqual([]);
  expect(held.filter((job) => job.state === 'Failed' && !allowedCodes.includes(job.code!)).map(line)).toEqual(
    [],
  );
}

let redis: RedisServer | undefined;
afterEach(() => redis?.stop('SIGKILL'));

test('kill -9 of a Redis without persistence: every job whose record vanished ends Failed with WBJ_JOB_LOST on every instance, waits settle, and new jobs run', async () => {
  redis = await startRedis();
  const jobs = await cluster(redis);
  await startTwoHundred(jobs);

  await redis.stop('SIGKILL');
  await redis.restart();
  const restartedAt = Date.now();

  const held = await everyJobEnded(jobs);
  expectTruthful(held, jobs, ['WBJ_JOB_LOST']);
  const lost = held.filter((job) => job.code === 'WBJ_JOB_LOST');
  // Within two re-checks of the instances' reconnection, which comes within a second of Redis's return.
  const latest = Math.max(...lost.map((job) => new Date(job.end!).getTime()));
  expect(latest - restartedAt).toBeLessThanOrEqual(1000 + 2 * CHECK_MS);
  expect(lost.length).toBeGreaterThan(0);
  for (const job of lost) expect(job.description).toMatch(/record disappeared from Redis/);
  await newJobsComplete(jobs);
});

test('kill -9 of a Redis with AOF: every job ends Completed once Redis is back, none reported failed', async () => {
  redis = await startRedis({ persistent: true });
  const jobs = await cluster(redis);
  await startTwoHundred(jobs);

  await redis.stop('SIGKILL');
  await redis.restart();

  const held = await everyJobEnded(jobs);
  expectTruthful(held, jobs, []);
  expect(held.filter((job) => job.state !== 'Completed').map(line)).toEqual([]);
  await newJobsComplete(jobs);
});

test('FLUSHDB: the jobs it erased end Failed with WBJ_JOB_LOST on every instance within two jobsCheckIntervals, waits settle, and new jobs run', async () => {
  redis = await startRedis();
  const jobs = await cluster(redis);
  await startTwoHundred(jobs);

  const client = new Redis(redis.url);
  let flushedAt: number;
  try {
    await client.flushdb();
    flushedAt = Date.now();
  } finally {
    client.disconnect();
  }

  const held = await everyJobEnded(jobs);
  expectTruthful(held, jobs, ['WBJ_JOB_LOST']);
  const lost = held.filter((job) => job.code === 'WBJ_JOB_LOST');
  expect(lost.length).toBeGreaterThan(0);
  const latest = Math.max(...lost.map((job) => new Date(job.end!).getTime()));
  expect(latest - flushedAt).toBeLessThanOrEqual(2 * CHECK_MS);
  await newJobsComplete(jobs);
});

test("CLIENT KILL of every connection of the apps, the workers' among them: they reconnect by themselves and every job ends Completed", async () => {
  redis = await startRedis();
  const jobs = await cluster(redis);
  await startTwoHundred(jobs);

  const queue = new Queue(SETTINGS.jobsQueueName, { connection: { url: redis.url } });
  const client = new Redis(redis.url);
  try {
    expect(await queue.getWorkers()).toHaveLength(2);
    const killed = await client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    expect(killed).toBeGreaterThanOrEqual(18); // nine connections an instance, the workers' among them
  } finally {
    await queue.close();
    client.disconnect();
  }

  const held = await everyJobEnded(jobs);
  expectTruthful(held, jobs, []);
  expect(held.filter((job) => job.state !== 'Completed').map(line)).toEqual([]);
  await newJobsComplete(jobs);
});
