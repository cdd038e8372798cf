// Scheduled jobs: how late an every-second schedule starts its runs, past the whole second each was due. In memory
// against croner's own timer, on Redis against a raw BullMQ job scheduler and Worker, in the same run.
import { Queue, Worker } from 'bullmq';
import { Cron } from 'croner';

const TICKS = Number(process.env.BENCH_TICKS ?? 6);
const EVERY_SECOND = '* * * * * *';

/** Median and worst lateness, in milliseconds, of runs that started at `stamps` (each due on a whole second). */
function lateness(stamps) {
  const late = stamps.map((stamp) => stamp % 1000).sort((a, b) => a - b);
  return { median: late[Math.floor(late.length / 2)], p99: late[late.length - 1] };
}

let schedules = 0;
/** The handler start times of the first `TICKS` runs of an every-second scheduled job of `manager`. */
async function ourStamps(manager) {
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

/** Figures for bench/run.mjs, as redisFigures gives them. */
export function scheduleFigures({ inline, redisManager, redisUrl, now }) {
  const connection = { url: redisUrl };
  const figures = {
    memorySchedule: {
      anchor: () =>
        new Promise((resolve) => {
          const stamps = [];
          const cron = new Cron(EVERY_SECOND, () => {
            stamps.push(now());
            if (stamps.length < TICKS) return;
            cron.stop();
            resolve(lateness(stamps));
          });
        }),
      ours: async () => lateness(await ourStamps(inline)),
    },
    redisSchedule: {
      anchor: async () => {
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
        return lateness(stamps.slice(0, TICKS));
      },
      ours: async () => lateness(await ourStamps(redisManager)),
    },
  };
  const rows = [
    [
      `memory: an every-second schedule, run start past its due second, median (ms; ${TICKS} runs)`,
      'croner Cron',
      'memorySchedule',
      (x) => x.median,
    ],
    [
      'redis: an every-second schedule, run start past its due second, median (ms)',
      'BullMQ job scheduler + Worker',
      'redisSchedule',
      (x) => x.median,
    ],
  ];
  return { figures, rows };
}
