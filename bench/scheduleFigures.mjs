// Scheduled jobs: how late an every-second schedule starts its runs, past the whole second each was due — alone,
// against croner's own timer (memory) and a raw BullMQ job scheduler and Worker (Redis), and among 10,000 other
// schedules declared in web.config, against itself alone (the target: no later). With those 10,000: the start-up
// until every schedule is armed, against xml2js and croner parsing the same file and crons, and the memory they
// take, against as many armed croner `Cron`s. Start-up and memory are measured once (a 10,000-schedule start is
// long). Lateness is measured in the same seconds for the three schedules (raw, alone, among), 3 rounds pooled: on
// Redis a delayed tick waits in a blocking command whose timeout redis-server serves only at its next internal tick
// (`hz` 10: every 100 ms), so a run is 0–100 ms late depending on where that tick falls in the second, a phase that
// drifts by a few ms a second; schedules measured one after the other, seconds apart, differed by up to 70 ms for
// that alone (alone 59.5 vs among 27.5 ms in one run, 18 vs 58 in another).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Cron } from 'croner';
import { Redis } from 'ioredis';
import { BackgroundJobsManager } from 'web-background-jobs';
import { crons, parseAndSchedule, scheduledConfig } from './configFigures.mjs';
import { config, handlers, heapUsed, now, redisServer, ROUNDS, row, silent } from './measure.mjs';

const TICKS = Number(process.env.BENCH_TICKS ?? 5);
const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 10_000);
const EVERY_SECOND = '* * * * * *';

/** Median and worst lateness, in milliseconds, of runs that started at `stamps` (each due on a whole second). */
function lateness(stamps) {
  const late = stamps.map((stamp) => stamp % 1000).sort((a, b) => a - b);
  return { median: late[Math.floor(late.length / 2)], p99: late[late.length - 1] };
}

let schedules = 0;
/** When the first `TICKS` runs of an every-second scheduled job created on `manager` started. */
async function ours(manager) {
  schedules += 1;
  const scheduled = manager.scheduledJobs.create({
    name: `bench-${schedules}`,
    methodName: 'Bench.Stamp',
    schedule: { cron: EVERY_SECOND },
  });
  await scheduled.write();
  // Its runs, from its last run as read every 200 ms: listing every job would load the whole history each time.
  const runs = new Map();
  while (runs.size < TICKS) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const last = (await manager.scheduledJobs.findByUUID(scheduled.uuid)).lastJob;
    if (last !== undefined) runs.set(last.uuid, last);
  }
  await scheduled.delete();
  await manager.waitForCompletion([...runs.values()]);
  return [...runs.values()].slice(0, TICKS).map((run) => run.result);
}

/** When croner's own every-second callback ran, `TICKS` times. */
const croner = () =>
  new Promise((resolve) => {
    const stamps = [];
    const cron = new Cron(EVERY_SECOND, () => {
      stamps.push(now());
      if (stamps.length < TICKS) return;
      cron.stop();
      resolve(stamps);
    });
  });

/** When a raw BullMQ every-second job scheduler's Worker ran its jobs, `TICKS` times, on `connection`. */
async function bullmq(connection) {
  schedules += 1;
  const name = `raw-scheduled-${schedules}`;
  const queue = new Queue(name, { connection });
  const stamps = [];
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const worker = new Worker(
    name,
    async () => {
      stamps.push(now());
      if (stamps.length === TICKS) done();
    },
    { connection },
  );
  await queue.upsertJobScheduler('every-second', { pattern: EVERY_SECOND }, { name: 'stamp' });
  await finished;
  await queue.removeJobScheduler('every-second');
  await Promise.all([worker.close(), queue.close()]);
  return stamps.slice(0, TICKS);
}

/**
 * The lateness of each schedule of `figure` (name → a function resolving with its runs' start times), all three
 * running in the same seconds, the runs of `ROUNDS` rounds pooled.
 */
async function sameSeconds(figure) {
  const stamps = Object.fromEntries(Object.keys(figure).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    const runs = await Promise.all(Object.values(figure).map((measure) => measure()));
    Object.keys(figure).forEach((name, index) => stamps[name].push(...runs[index]));
  }
  return Object.fromEntries(Object.entries(stamps).map(([name, times]) => [name, lateness(times)]));
}

/** Bytes of heap each of `SCHEDULES` armed croner `Cron`s of the same expressions takes. */
function cronerBytes() {
  const before = heapUsed();
  const armed = crons(SCHEDULES).map((cron) => new Cron(cron, () => undefined));
  const bytes = (heapUsed() - before) / SCHEDULES;
  for (const cron of armed) cron.stop();
  return bytes;
}

const usedMemory = async (redis) => Number((await redis.info('memory')).match(/^used_memory:(\d+)/m)[1]);

/**
 * Rows of one store: `alone` and `many` are the options that put each manager on it, `anchor` measures the
 * lateness of the raw library's schedule, `redis` (on Redis) reads the server's memory.
 */
async function storeRows({ store, file, alone: aloneOptions, many: manyOptions, anchor, redis }) {
  const alone = new BackgroundJobsManager({
    handlers,
    config,
    logger: silent,
    isolation: 'inline',
    ...aloneOptions,
  });
  const redisBefore = redis && (await usedMemory(redis));
  const heapBefore = heapUsed();
  const started = performance.now();
  const many = new BackgroundJobsManager({
    handlers,
    config: file,
    logger: silent,
    isolation: 'inline',
    ...manyOptions,
  });
  await many.scheduledJobs.ready;
  const startUp = performance.now() - started;
  const bytes = (heapUsed() - heapBefore) / SCHEDULES;
  const redisBytes = redis && ((await usedMemory(redis)) - redisBefore) / SCHEDULES;
  const late = await sameSeconds({ anchor, alone: () => ours(alone), among: () => ours(many) });
  await Promise.all([alone.close(), many.close()]);
  const count = SCHEDULES.toLocaleString('en');
  const raw = store === 'memory' ? 'croner `Cron`' : 'BullMQ job scheduler + `Worker`';
  return [
    row(
      `${store}: an every-second schedule alone, run start past its due second, median (ms; ${ROUNDS} × ${TICKS} runs, the three in the same seconds)`,
      late.alone.median,
      raw,
      late.anchor.median,
    ),
    row(
      `${store}: the same among ${count} schedules, median (ms)`,
      late.among.median,
      'the same schedule alone',
      late.alone.median,
      (among, alone) => ({ text: 'no later: ≤ 1.1 × alone + 2 ms', met: among <= 1.1 * alone + 2 }),
    ),
    row(
      `${store}: start-up on ${count} scheduled jobs until \`scheduledJobs.ready\` (ms)`,
      startUp,
      'xml2js parse + croner',
      await parseAndSchedule(file, SCHEDULES),
    ),
    row(
      `${store}: heap per scheduled job, ${count} armed (bytes)`,
      bytes,
      'croner `Cron`, armed',
      cronerBytes(),
    ),
    ...(redis ? [row(`${store}: Redis memory per scheduled job (bytes)`, redisBytes, '—')] : []),
  ];
}

/** Rows of the scheduled-jobs section, in memory then on a redis-server of its own. */
export async function scheduleFigures() {
  const folder = mkdtempSync(path.join(tmpdir(), 'wbj-bench-schedules-'));
  const server = await redisServer();
  const redis = new Redis(server.url);
  const onRedis = (queueName) => ({ store: server.url, queueName });
  const file = scheduledConfig(path.join(folder, 'scheduled.config'), SCHEDULES);
  const rows = [
    ...(await storeRows({ store: 'memory', file, anchor: croner })),
    ...(await storeRows({
      store: 'redis',
      file,
      alone: onRedis('alone'),
      many: onRedis('many'),
      anchor: () => bullmq({ url: server.url }),
      redis,
    })),
  ];
  redis.disconnect();
  await server.stop();
  rmSync(folder, { recursive: true, force: true });
  return rows;
}
