import type { FinalEvent } from '../../stores/JobEmitter';
import type { BackgroundJobsManager } from '../BackgroundJobsManager';
import { MethodLabels } from './methodLabels';
import type { MetricsContext } from './metricsContext';
import { type Observations, SecondsHistogram } from './secondsHistogram';

/**
 * Upper bounds of the time histograms, in seconds: from a job that takes no time (inline, an idle queue) to an hour,
 * as background jobs range from a mail sent to a report built over the night.
 */
export const SECONDS_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600,
]);

/** The names of the metrics made here, after the prefix. */
export const JOB_METRIC_NAMES: readonly string[] = [
  'jobs_total',
  'job_run_seconds',
  'job_queue_seconds',
  'scheduled_runs_total',
  'scheduled_skips_total',
];

/** The final states a job is counted in, as its events name them. */
const FINAL_STATES: readonly FinalEvent[] = ['completed', 'failed', 'canceled'];

/** One method's numbers, made at its first job: a job then adds to plain numbers, with no label lookup. */
interface MethodSeries {
  readonly ended: Record<FinalEvent, number>;
  readonly run: Observations;
  readonly queue: Observations;
}

/**
 * The metrics the manager's events feed: jobs by method and final state, their run and queue times, and the runs and
 * skips of scheduled jobs. A job ends once: a failed attempt that another follows is timed, not counted.
 */
export function countJobEvents(
  manager: BackgroundJobsManager,
  { client, registry, prefix }: MetricsContext,
): void {
  const registers = [registry];
  const series = new Map<string, MethodSeries>();
  // Counted in plain numbers, handed to prom-client at each scrape: its inc hashes the label set every time.
  new client.Counter({
    name: `${prefix}jobs_total`,
    help: 'Background jobs that ended, by method and final state (completed, failed, canceled)',
    labelNames: ['method', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const [method, { ended }] of series) {
        for (const state of FINAL_STATES) if (ended[state] > 0) this.inc({ method, state }, ended[state]);
      }
    },
  });
  const histogram = (name: string, help: string): SecondsHistogram =>
    new SecondsHistogram(registry, { name, help, labelName: 'method', buckets: SECONDS_BUCKETS });
  const run = histogram(
    `${prefix}job_run_seconds`,
    'Seconds from a job attempt’s begin to its end, by method',
  );
  const queue = histogram(
    `${prefix}job_queue_seconds`,
    'Seconds a job waited from execute to its begin, by method',
  );
  const scheduledRuns = new client.Counter({
    name: `${prefix}scheduled_runs_total`,
    help: 'Runs of scheduled jobs started, by scheduled job name',
    labelNames: ['scheduled_job'] as const,
    registers,
  });
  const scheduledSkips = new client.Counter({
    name: `${prefix}scheduled_skips_total`,
    help: 'Due runs of scheduled jobs skipped, by scheduled job name and reason (running, key, pause, unavailable, error)',
    labelNames: ['scheduled_job', 'reason'] as const,
    registers,
  });

  const labels = new MethodLabels(manager);
  const seriesOf = (method: string): MethodSeries => {
    let found = series.get(method);
    if (found === undefined) {
      found = {
        ended: { completed: 0, failed: 0, canceled: 0 },
        run: run.series(method),
        queue: queue.series(method),
      };
      series.set(method, found);
    }
    return found;
  };
  // Told in raw fields, not through manager.on: a job builds no event payload for the metrics.
  manager.observeJobs({
    started: (methodName, queuedSeconds) =>
      labels.withLabel(methodName, (method) => queue.observe(seriesOf(method).queue, queuedSeconds)),
    ended: (methodName, state, runSeconds, final) =>
      labels.withLabel(methodName, (method) => {
        const counted = seriesOf(method);
        // A job cancelled before it began has no run time (undefined): it is only counted.
        if (runSeconds !== undefined) run.observe(counted.run, runSeconds);
        if (final) counted.ended[state] += 1;
      }),
  });
  manager.on('scheduled-run', ({ scheduledJob }) => scheduledRuns.labels(scheduledJob.name).inc());
  manager.on('scheduled-skip', ({ scheduledJob, reason }) =>
    scheduledSkips.labels(scheduledJob.name, reason).inc(),
  );
}
