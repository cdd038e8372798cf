import { Redis } from 'ioredis';
import request from 'supertest';
import { backgroundJobsDashboard } from 'web-background-jobs';
import { appWithJobs, registry } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';

// The dashboard's list reads each finished job's summary: its end is when the handler ended, as on the job itself,
// not when Redis stored it.
jest.setTimeout(60_000);

let redis: RedisServer;
let admin: Redis;
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  registry.beforeEnd = undefined;
  admin.disconnect();
  await redis.stop();
});

test("the dashboard lists a finished job with its handler's end, not the later time Redis stored it", async () => {
  const { app, manager } = appWithJobs({ store: redis.url, queueName: 'summary-end', isolation: 'inline' });
  app.use('/jobs', backgroundJobsDashboard());
  // Redis takes no write for a while as the handler ends: its last message, and so its end, are stored well after it.
  registry.beforeEnd = async () => {
    await admin.client('PAUSE', '300', 'WRITE');
  };
  const job = await manager.execute('Probe.BeforeEnd', ['last words']);
  await job.waitForCompletion();
  const storedAt = Number(await admin.hget(`bull:summary-end:${job.uuid}`, 'finishedOn'));
  expect(storedAt - job.end!.getTime()).toBeGreaterThanOrEqual(200);
  const { body } = await request(app).get('/jobs/api/jobs').expect(200);
  expect(body.jobs).toEqual([
    expect.objectContaining({ uuid: job.uuid, state: 'Completed', end: job.end!.toISOString() }),
  ]);
});
