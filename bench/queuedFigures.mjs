// Queued jobs at scale: 100,000 inline jobs queued behind `jobsMaxConcurrency` 4 (the 4 running wait on a gate the
// bench opens): the heap each queued job takes (beside a p-queue task waiting behind concurrency 4), what one
// `execute` costs with that queue against with an empty one, and how long `getBackgroundJobs({ state: Active })`
// takes to list them all.
import PQueue from 'p-queue';
import { BackgroundJobsManager, BackgroundJobState } from 'web-background-jobs';
import {
  atMost,
  best,
  config,
  executeAll,
  gate,
  handlers,
  heapUsed,
  lower,
  percentiles,
  ratioAtMost,
  row,
  silent,
  timed,
  µs,
} from './measure.mjs';

const QUEUED = Number(process.env.BENCH_QUEUED_JOBS ?? 100_000);
const CONCURRENCY = 4;
const SAMPLE = 1000;
const LISTS = 5;

/** Bytes of heap each of `QUEUED` tasks waiting in a p-queue of concurrency 4 takes. */
async function pQueueBytes() {
  const blocked = gate(CONCURRENCY);
  const before = heapUsed();
  const tasks = new PQueue({ concurrency: CONCURRENCY });
  const done = Array.from({ length: QUEUED + CONCURRENCY }, () =>
    tasks.add(() => globalThis.benchGate.start()),
  );
  await blocked.started;
  const bytes = (heapUsed() - before) / QUEUED;
  blocked.open();
  await Promise.all(done);
  return bytes;
}

/** Rows of the queued-jobs section. */
export async function queuedFigures() {
  const anchorBytes = await pQueueBytes();
  const blocked = gate(2 * CONCURRENCY);
  const options = { handlers, config, logger: silent, isolation: 'inline', maxConcurrency: CONCURRENCY };
  const empty = new BackgroundJobsManager(options);
  const full = new BackgroundJobsManager(options);
  await executeAll(empty, 'Bench.Block', CONCURRENCY);
  await executeAll(full, 'Bench.Block', CONCURRENCY);
  await blocked.started;
  const before = heapUsed();
  await executeAll(full, 'Bench.Block', QUEUED);
  const bytes = (heapUsed() - before) / QUEUED;
  /** Milliseconds per `execute` of `SAMPLE` jobs, one after another, each queued behind the others. */
  const perExecute = (manager) => async () =>
    (await timed(async () => {
      for (let index = 0; index < SAMPLE; index += 1) await manager.execute('Bench.Block');
    })) / SAMPLE;
  const cost = await best({ empty: perExecute(empty), full: perExecute(full) }, lower);
  const active = { state: BackgroundJobState.Active };
  const list = await best(
    { ours: () => percentiles(LISTS, () => timed(() => full.getBackgroundJobs(active))) },
    lower,
  );
  blocked.open();
  await Promise.all([empty.close(), full.close()]);
  const jobs = `${QUEUED.toLocaleString('en')} jobs`;
  return [
    row(
      `queued: heap per job queued behind jobsMaxConcurrency ${CONCURRENCY}, ${jobs} (bytes)`,
      bytes,
      `p-queue 9 task waiting, concurrency ${CONCURRENCY}`,
      anchorBytes,
      atMost(1024, '≤ 1 KB'),
    ),
    row(
      `queued: one \`execute\` with ${jobs} queued (µs)`,
      µs(cost.full),
      'the same with the queue empty',
      µs(cost.empty),
      ratioAtMost(1.5),
    ),
    row(
      `queued: \`getBackgroundJobs({ state: Active })\` of ${jobs}, median (ms)`,
      list.ours.median,
      'target',
      50,
      atMost(50, '< 50 ms'),
    ),
  ];
}
