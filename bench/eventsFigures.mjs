// What events cost a job: inline throughput with one listener on every job event, beside the same manager's
// throughput with none (an event nobody listens to builds no payload). Issue 19's target: under 10 %.
import { BackgroundJobsManager } from 'web-background-jobs';
import {
  best,
  config,
  handlers,
  higher,
  jobBatch,
  ratioAtLeast,
  row,
  silent,
  throughput,
} from './measure.mjs';

const JOBS = Number(process.env.BENCH_JOBS ?? 50_000);
const JOB_EVENTS = ['queued', 'started', 'progress', 'message', 'completed', 'failed', 'canceled'];

/** Rows of the events section. */
export async function eventsFigures() {
  const quiet = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
  const heard = new BackgroundJobsManager({ handlers, config, logger: silent, isolation: 'inline' });
  let events = 0;
  for (const event of JOB_EVENTS) heard.on(event, () => void (events += 1));
  const rates = {
    none: () => throughput(JOBS, (count) => jobBatch(quiet, 'Bench.Noop', count)),
    listened: () => throughput(JOBS, (count) => jobBatch(heard, 'Bench.Noop', count)),
  };
  for (const measure of Object.values(rates)) await measure(); // warm-up: module loading, JIT
  const rate = await best(rates, higher);
  await Promise.all([quiet.close(), heard.close()]);
  if (events === 0) throw new Error('the listened manager heard no event: the figure would measure nothing');
  return [
    row(
      'events: inline execute → completion, one listener on every job event, batches of 1,000 (jobs/s)',
      rate.listened,
      'the same, no listener',
      rate.none,
      ratioAtLeast(0.9),
    ),
  ];
}
