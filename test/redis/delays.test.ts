import { existsSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import { BackgroundJobState } from 'web-background-jobs';
import { createManager, eventually, tempDir, useRedisStore } from '../helpers';
import { startInstance } from './instances';
import { startRedis } from '../redisServer';

// Delayed jobs and retries on Redis are BullMQ's delayed jobs: they live in Redis, not in the instance that executed
// them, and a cancel ends one in Redis at once.
jest.setTimeout(60_000);

describe('delayed jobs on a shared Redis', () => {
  useRedisStore();
  let queues = 0;
  const queueName = (): string => `delays-${process.pid}-${(queues += 1)}`;

  test.each([
    ['the worker of another instance', true],
    ['the instance started again', false],
  ])(
    'a delayed job survives the close of the instance that executed it: %s runs it',
    async (_, otherRunning) => {
      const queue = queueName();
      const file = path.join(tempDir(), 'ran');
      const other = otherRunning ? createManager({ queueName: queue }) : undefined;
      const first = createManager({ queueName: queue });
      const job = await first.execute('Jobs.Touch', [file], 'Key1', '', { delaySeconds: 1.5 });
      await first.close();
      expect(job.state).toBe(BackgroundJobState.Active); // close cancels only the jobs running on the instance
      const again = other ?? createManager({ queueName: queue });
      const found = (await again.findByUUID(job.uuid))!;
      expect([found.state, found.begin]).toEqual([BackgroundJobState.Active, undefined]);
      await found.waitForCompletion(30);
      expect(found.state).toBe(BackgroundJobState.Completed);
      expect(existsSync(file)).toBe(true);
    },
  );

  test('a cancel from another instance during a backoff ends the job in Redis at once: BullMQ holds it failed with the cancel mark, not delayed, and its key is free', async () => {
    const queue = queueName();
    const file = path.join(tempDir(), 'attempts');
    const [one, two] = [createManager({ queueName: queue }), createManager({ queueName: queue })];
    const job = await one.execute('Retries.FailTimes', [file, 99], 'Key1', '', {
      attempts: 5,
      backoff: { type: 'fixed', delaySeconds: 600 },
    });
    const bull = new Queue(queue, { connection: { url: one.settings.store } });
    try {
      // BullMQ's own state: the job's first attempt has failed, and it waits its backoff.
      await eventually(async () => expect(await bull.getJobState(job.uuid)).toBe('delayed'));
      const seen = (await two.findByUUID(job.uuid))!;
      expect([seen.state, seen.begin, seen.attempt]).toEqual([BackgroundJobState.Active, undefined, 2]);
      await seen.cancel();
      expect(seen.state).toBe(BackgroundJobState.Canceled);
      expect(await bull.getJobState(job.uuid)).toBe('failed');
      await job.waitForCompletion(10); // the instance that executed it hears of it
      expect([job.state, job.attempt, job.attemptErrors.length]).toEqual([BackgroundJobState.Canceled, 2, 1]);
      await two.execute('Reports.Echo', [], 'Key1');
    } finally {
      await bull.close();
    }
  });
});

test('a delayed job survives the crash of the instance process that executed it', async () => {
  const redis = await startRedis();
  try {
    const jobsQueueName = `crash-${process.pid}`;
    const instance = await startInstance(redis.url, { jobsQueueName });
    const file = path.join(tempDir(), 'ran');
    const { body } = await request(instance.url)
      .post('/execute')
      .send({ method: 'Jobs.Touch', params: [file], options: { delaySeconds: 1.5 } })
      .expect(200);
    await instance.kill();
    const manager = createManager({ store: redis.url, queueName: jobsQueueName });
    const job = (await manager.findByUUID(body.uuid))!;
    await job.waitForCompletion(30);
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(existsSync(file)).toBe(true);
    await manager.close();
  } finally {
    await redis.stop();
  }
});
