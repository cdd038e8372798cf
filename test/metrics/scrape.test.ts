import express from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import { backgroundJobsMetrics, type BackgroundJobsManager } from 'web-background-jobs';
import { appWithJobs, describeEachIsolation, eventually } from '../helpers';
import { type Family, parseExposition, sampleValue } from './exposition';

// A known sequence of jobs, then a scrape over HTTP read with the text format's grammar: each metric has exactly
// the value the sequence gives it, in memory (inline, thread) and on Redis.
jest.setTimeout(60_000);

/** Every metric of a manager, as its registry lists them. */
const METRIC_NAMES = [
  'wbj_job_queue_seconds',
  'wbj_job_run_seconds',
  'wbj_jobs_active',
  'wbj_jobs_queued',
  'wbj_jobs_total',
  'wbj_scheduled_runs_total',
  'wbj_scheduled_skips_total',
  'wbj_store_unavailable',
  'wbj_store_unavailable_seconds_total',
  'wbj_worker_crashes_total',
  'wbj_worker_threads',
];

/** An app with the middleware and `/metrics` on a registry of its own. */
function metricsApp(options: Parameters<typeof appWithJobs>[0]) {
  const { app, manager } = appWithJobs(options);
  const registry = new Registry();
  app.get('/metrics', backgroundJobsMetrics({ manager, registry }));
  return { app, manager, registry };
}

/** One scrape of `app`, parsed. */
async function scrape(app: express.Express): Promise<Map<string, Family>> {
  const response = await request(app).get('/metrics').expect(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(response.text);
}

/** The values of the samples `name` by the labels listed, e.g. `{ 'Reports.Build/completed': 2 }`. */
function byLabels(
  families: Map<string, Family>,
  name: string,
  labels: readonly string[],
): Record<string, number> {
  const values: Record<string, number> = {};
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name) values[labels.map((label) => sample.labels[label]).join('/')] = sample.value;
    }
  }
  return values;
}

/** Waits until `manager` lists the job `uuid` with a begin: it runs. */
async function running(manager: BackgroundJobsManager, uuid: string): Promise<void> {
  await eventually(async () => expect((await manager.findByUUID(uuid))?.begin).toBeInstanceOf(Date), 20_000);
}

describeEachIsolation('the Prometheus metrics of a manager', (isolation) => {
  test('after two completed jobs, one failed and two cancelled (one still queued), each metric holds exactly what they did', async () => {
    const { app, manager } = metricsApp({ isolation, maxConcurrency: 1, maxThreads: 2 });
    // Two names of one handler, as callers may spell it: one label, the folder's spelling.
    const built = [
      await manager.execute('reports.build', [1, 'a']),
      await manager.execute('Reports.Build', [2, 'b']),
    ];
    await manager.waitForExecutionCompletion(built);
    const failed = await manager.execute('Jobs.Fail', ['on purpose']);
    await manager.waitForExecutionCompletion([failed]);
    const forever = await manager.execute('Jobs.Forever');
    await running(manager, forever.uuid);
    const queued = await manager.execute('Reports.Echo', ['waits its turn']);

    let families = await scrape(app);
    expect([sampleValue(families, 'wbj_jobs_active'), sampleValue(families, 'wbj_jobs_queued')]).toEqual([
      1, 1,
    ]);
    expect(families.get('wbj_jobs_active')).toMatchObject({ type: 'gauge', help: expect.any(String) });

    await queued.cancel();
    await forever.cancel();
    await manager.waitForExecutionCompletion([queued, forever]);
    await eventually(async () => {
      families = await scrape(app);
      expect(byLabels(families, 'wbj_jobs_total', ['method', 'state'])).toEqual({
        'Reports.Build/completed': 2,
        'Jobs.Fail/failed': 1,
        'Jobs.Forever/canceled': 1,
        'Reports.Echo/canceled': 1,
      });
    });
    expect(families.get('wbj_jobs_total')?.type).toBe('counter');
    // The queued job that was cancelled never ran: counted, but neither timed in a run nor in the queue.
    expect(byLabels(families, 'wbj_job_run_seconds_count', ['method'])).toEqual({
      'Reports.Build': 2,
      'Jobs.Fail': 1,
      'Jobs.Forever': 1,
    });
    expect(byLabels(families, 'wbj_job_queue_seconds_count', ['method'])).toEqual({
      'Reports.Build': 2,
      'Jobs.Fail': 1,
      'Jobs.Forever': 1,
    });
    expect(families.get('wbj_job_run_seconds')?.type).toBe('histogram');
    // Each run's seconds, as the jobs say: the histogram's sum is theirs.
    const seconds = (job: { begin?: Date; end?: Date }) => (job.end!.getTime() - job.begin!.getTime()) / 1000;
    const done = await Promise.all(built.map((job) => manager.findByUUID(job.uuid)));
    expect(sampleValue(families, 'wbj_job_run_seconds_sum', { method: 'Reports.Build' })).toBeCloseTo(
      done.reduce((sum, job) => sum + seconds(job!), 0),
      2,
    );
    expect(sampleValue(families, 'wbj_job_run_seconds_bucket', { method: 'Reports.Build', le: '+Inf' })).toBe(
      2,
    );
    expect([sampleValue(families, 'wbj_jobs_active'), sampleValue(families, 'wbj_jobs_queued')]).toEqual([
      0, 0,
    ]);
    expect(sampleValue(families, 'wbj_worker_threads')).toBe(isolation === 'thread' ? 2 : 0);
    expect(sampleValue(families, 'wbj_worker_crashes_total')).toBe(0);
    expect(sampleValue(families, 'wbj_store_unavailable')).toBe(0);
    expect(sampleValue(families, 'wbj_store_unavailable_seconds_total')).toBe(0);
    expect(families.get('wbj_store_unavailable_seconds_total')?.type).toBe('counter');
    expect([...families.keys()].sort()).toEqual(METRIC_NAMES);
  });
});
