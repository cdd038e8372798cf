import type { BackgroundJobsManager } from '../BackgroundJobsManager';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import type { MetricsContext } from './metricsContext';

/** The names of the metrics made here, after the prefix. */
export const STATE_METRIC_NAMES: readonly string[] = [
  'jobs_active',
  'jobs_queued',
  'worker_threads',
  'worker_crashes_total',
  'store_unavailable',
  'store_unavailable_seconds_total',
];

/** Jobs running and jobs waiting, as one read of the store counted them. */
interface JobCounts {
  readonly running: number;
  readonly queued: number;
}

/**
 * The metrics read when Prometheus scrapes, from the manager itself, not kept up by events: they cannot drift from
 * what is (a missed event, a restart, another instance's jobs on Redis). Jobs active and queued are the store's
 * (on Redis every instance's, so every instance reports the same numbers); threads, crashes and outages this
 * process's.
 */
export function readStateOnScrape(
  manager: BackgroundJobsManager,
  { client, registry, prefix }: MetricsContext,
): void {
  const registers = [registry];
  // One read of the store a scrape: prom-client collects the metrics of a scrape together.
  let reading: Promise<JobCounts | undefined> | undefined;
  const counts = (): Promise<JobCounts | undefined> =>
    (reading ??= countActiveJobs(manager).finally(() => (reading = undefined)));
  const countGauge = (name: string, help: string, pick: (counts: JobCounts) => number): void => {
    new client.Gauge({
      name: prefix + name,
      help,
      registers,
      async collect() {
        const read = await counts();
        if (read !== undefined) this.set(pick(read));
      },
    });
  };
  countGauge(
    'jobs_active',
    'Jobs running now (Active with a begin), in the whole store',
    (read) => read.running,
  );
  countGauge(
    'jobs_queued',
    'Jobs waiting to begin (Active without a begin: for a slot, or for their start), in the whole store',
    (read) => read.queued,
  );
  new client.Gauge({
    name: `${prefix}worker_threads`,
    help: 'Live worker threads of this process (0 in inline isolation, and before the first job)',
    registers,
    collect() {
      this.set(manager.threadCount);
    },
  });
  new client.Counter({
    name: `${prefix}worker_crashes_total`,
    help: 'Worker threads of this process that died (crashed, exited or ran out of memory), running a job or idle',
    registers,
    collect() {
      this.reset();
      this.inc(manager.threadCrashes);
    },
  });
  new client.Gauge({
    name: `${prefix}store_unavailable`,
    help: 'Whether this process has lost its Redis store now (1) or not (0); always 0 in memory',
    registers,
    collect() {
      this.set(manager.storeOutages.since === undefined ? 0 : 1);
    },
  });
  new client.Counter({
    name: `${prefix}store_unavailable_seconds_total`,
    help: 'Seconds this process has been without its Redis store, in all',
    registers,
    collect() {
      const { since, pastMs } = manager.storeOutages;
      this.reset();
      this.inc((pastMs + (since === undefined ? 0 : Date.now() - since)) / 1000);
    },
  });
}

/**
 * The store's active jobs, running and queued, from their summaries (no params nor results are read); `undefined`
 * when the store cannot answer (Redis lost, the manager closed): the gauges keep their last values, and
 * `store_unavailable` says why.
 */
async function countActiveJobs(manager: BackgroundJobsManager): Promise<JobCounts | undefined> {
  try {
    const active = await manager.getJobSummaries({ state: BackgroundJobState.Active }, () => true);
    const running = active.filter((job) => job.begin !== undefined).length;
    return { running, queued: active.length - running };
  } catch {
    return undefined;
  }
}
