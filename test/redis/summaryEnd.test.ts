import request from 'supertest';
import { backgroundJobsDashboard } from 'web-background-jobs';
import { appWithJobs } from '../helpers';
import { useOwnRedis } from '../redisServer';
import { holdWritesAsItEnds } from './heldWrites';

// The dashboard's list reads each finished job's summary: its end is when the handler ended, as on the job itself,
// not when Redis stored it.
jest.setTimeout(60_000);

const redis = useOwnRedis();

test("the dashboard lists a finished job with its handler's end, not the later time Redis stored it", async () => {
  const { app, manager } = appWithJobs({ store: redis.url, queueName: 'summary-end', isolation: 'inline' });
  app.use('/jobs', backgroundJobsDashboard());
  // Redis takes no write for a while as the handler ends: its last message, and so its end, are stored well after it.
  void holdWritesAsItEnds(redis.admin, { ms: 300 });
  const job = await manager.execute('Probe.BeforeEnd', ['last words']);
  await job.waitForCompletion();
  const storedAt = Number(await redis.admin.hget(`bull:summary-end:${job.uuid}`, 'finishedOn'));
  expect(storedAt - job.end!.getTime()).toBeGreaterThanOrEqual(200);
  const { body } = await request(app).get('/jobs/api/jobs').expect(200);
  expect(body.jobs).toEqual([
    expect.objectContaining({ uuid: job.uuid, state: 'Completed', end: job.end!.toISOString() }),
  ]);
});
