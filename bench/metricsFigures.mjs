// What Prometheus metrics cost a job: inline throughput of a manager whose jobs a prom-client registry counts
// (registerMetrics, no other listener) beside the same manager without metrics, measured in turn in each round.
import { Registry } from 'prom-client';
import { BackgroundJobsManager, registerMetrics } from 'web-background-jobs';
import {
  best,
  config,
  handlers,
  higher,
  jobBatch,
  ratioAtLeast,
  ROUNDS,
  row,
  silent,
  throughput,
} from './measure.mjs';

const JOBS = Number(process.env.BENCH_JOBS ?? 50_000);

/** Rows of the metrics section. */
export async function metricsFigures() {
  const plain = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
  const counted = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
  const registry = new Registry();
  registerMetrics(counted, { registry });
  const rates = {
    plain: () => throughput(JOBS, (count) => jobBatch(plain, 'Bench.Noop', count)),
    counted: () => throughput(JOBS, (count) => jobBatch(counted, 'Bench.Noop', count)),
  };
  for (const measure of Object.values(rates)) await measure(); // warm-up: module loading, JIT
  const rate = await best(rates, higher);
  // A scrape after them: the counts are the jobs run, so the figure is of metrics that worked.
  const scraped = await registry.metrics();
  const total = /^wbj_jobs_total\{method="Bench\.Noop",state="completed"\} (\d+)$/m.exec(scraped)?.[1];
  const run = JOBS * (1 + ROUNDS); // the warm-up and each round
  if (Number(total) !== run) throw new Error(`The registry counted ${total} jobs, not ${run}`);
  await Promise.all([plain.close(), counted.close()]);
  return [
    row(
      'metrics: inline execute → completion with a prom-client registry counting (registerMetrics, no listener), batches of 1,000 (jobs/s)',
      rate.counted,
      'the same manager without metrics',
      rate.plain,
      ratioAtLeast(0.95),
    ),
  ];
}
