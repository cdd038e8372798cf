import { Registry } from 'prom-client';
import { registerMetrics } from 'web-background-jobs';
import { createManager, eventually } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';
import { parseExposition, sampleValue } from './exposition';

// The metrics of what no job event says: worker threads that die, and a Redis store out of reach.
jest.setTimeout(60_000);

/** The value of each named metric (unlabelled) in one scrape of `registry`. */
async function values(registry: Registry, ...names: string[]): Promise<(number | undefined)[]> {
  const families = parseExposition(await registry.metrics());
  return names.map((name) => sampleValue(families, name));
}

test('a worker thread that exits under its job counts one crash, and its job one failure', async () => {
  const manager = createManager({ isolation: 'thread', maxThreads: 1 });
  const registry = registerMetrics(manager, { registry: new Registry() }) as Registry;
  expect(await values(registry, 'wbj_worker_crashes_total')).toEqual([0]);
  const job = await manager.execute('Hazards.Exit', [3]);
  await manager.waitForExecutionCompletion([job]);
  expect(job.errorInfo?.code).toBe('WBJ_WORKER_CRASHED');
  const families = parseExposition(await registry.metrics());
  expect(sampleValue(families, 'wbj_worker_crashes_total')).toBe(1);
  expect(sampleValue(families, 'wbj_jobs_total', { method: 'Hazards.Exit', state: 'failed' })).toBe(1);
  // The pool replaces the worker: one live thread again.
  await eventually(async () => expect(await values(registry, 'wbj_worker_threads')).toEqual([1]));
});

describe('on a Redis store', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  test('while Redis is out of reach store_unavailable is 1 and its seconds grow; once back it is 0 and they stop', async () => {
    const manager = createManager({ store: redis.url, queueName: 'metrics-outage' });
    const registry = registerMetrics(manager, { registry: new Registry() }) as Registry;
    expect(await values(registry, 'wbj_store_unavailable', 'wbj_store_unavailable_seconds_total')).toEqual([
      0, 0,
    ]);

    const stopped = Date.now();
    await redis.stop();
    await eventually(
      async () => expect(await values(registry, 'wbj_store_unavailable')).toEqual([1]),
      20_000,
    );
    const [during] = await values(registry, 'wbj_store_unavailable_seconds_total');
    await eventually(async () =>
      expect((await values(registry, 'wbj_store_unavailable_seconds_total'))[0]).toBeGreaterThan(during!),
    );
    // The store cannot be read: the scrape still answers, the gauges it feeds with their last values.
    expect(await values(registry, 'wbj_jobs_active', 'wbj_jobs_queued')).toEqual([0, 0]);

    await redis.restart();
    await eventually(
      async () => expect(await values(registry, 'wbj_store_unavailable')).toEqual([0]),
      20_000,
    );
    const [total] = await values(registry, 'wbj_store_unavailable_seconds_total');
    expect(total).toBeGreaterThan(during!);
    expect(total).toBeLessThanOrEqual((Date.now() - stopped) / 1000);
    // Back: the seconds stop growing (a read of the store later, they are the same).
    expect(await manager.getBackgroundJobs()).toEqual([]);
    expect(await values(registry, 'wbj_store_unavailable_seconds_total')).toEqual([total]);
  }, 60_000); // two reconnects, each waited for up to 20 s on a loaded machine
});
