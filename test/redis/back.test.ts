import type { BackgroundJobsManager } from 'web-background-jobs';
import { createManager } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';

// After an outage each connection reconnects on its own time: the store says Redis is back only once the
// connections its calls use are, so a call made as it says so does not fail.
jest.setTimeout(60_000);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

test('as the store logs that Redis is back, execute and reads made at that moment succeed (three outages)', async () => {
  let calls: Promise<unknown>[] = [];
  let lost = (): void => {};
  let back = (): void => {};
  const manager: BackgroundJobsManager = createManager({
    store: redis.url,
    queueName: 'back',
    worker: false,
    logger: {
      warn: (line: string) => {
        if (!line.endsWith(' is back')) return;
        calls = [manager.getBackgroundJobs(), manager.execute('Jobs.Sleep', [1])];
        back();
      },
      error: (line: string) => line.includes('Lost the Redis store') && lost(),
    },
  });
  await manager.getBackgroundJobs();
  const outcomes: string[] = [];
  for (let outage = 0; outage < 3; outage += 1) {
    const isLost = new Promise<void>((resolve) => (lost = resolve));
    await redis.stop();
    await isLost;
    const isBack = new Promise<void>((resolve) => (back = resolve));
    await redis.restart();
    await isBack;
    for (const outcome of await Promise.allSettled(calls))
      outcomes.push(outcome.status === 'rejected' ? String(outcome.reason) : 'ok');
  }
  expect(outcomes).toEqual(Array(6).fill('ok'));
});
