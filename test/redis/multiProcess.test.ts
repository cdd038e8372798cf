import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import { eventually, tempDir } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';
import { type AppInstance, startInstance } from './instances';

// Several app processes on one Redis, as a user deploys them: each its own web.config, real HTTP between them.
jest.setTimeout(60_000);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

let queues = 0;
/** Two instances on a queue of the test's own, with the same `<scheduledJobs>` lines if any. */
function pair(
  first: Record<string, string>,
  second: Record<string, string>,
  scheduledJobs?: string,
): Promise<AppInstance[]> {
  queues += 1;
  const jobsQueueName = `multi-${queues}`;
  return Promise.all([
    startInstance(redis.url, { jobsQueueName, ...first }, scheduledJobs),
    startInstance(redis.url, { jobsQueueName, ...second }, scheduledJobs),
  ]);
}

async function execute(instance: AppInstance, method: string, params: unknown[] = [], key = '') {
  const response = await request(instance.url).post('/execute').send({ method, params, key });
  return response;
}

function details(instance: AppInstance, uuid: string) {
  return request(instance.url).get(`/jobs/api/jobs/${uuid}`).expect(200);
}

test('a job executed on a web-only instance runs on a worker instance; the other instance finds it, awaits it and reads its messages', async () => {
  const [web, worker] = await pair({ jobsWorker: 'false' }, {});
  const executed = await execute(web, 'Jobs.WhereAmI', [200]);
  expect(executed.status).toBe(200);
  expect(executed.body.state).toBe('Active');

  const awaited = await request(worker.url).post(`/wait/${executed.body.uuid}`).expect(200);
  expect(awaited.body).toMatchObject({ state: 'Completed', result: worker.pid });
  expect(awaited.body.messages).toEqual([{ text: String(worker.pid), date: expect.any(String) }]);

  const seenOnWeb = await details(web, executed.body.uuid);
  expect(seenOnWeb.body).toMatchObject({ state: 'Completed', result: worker.pid, begin: expect.any(String) });
  const listed = await request(worker.url).get('/jobs/api/jobs?state=Completed').expect(200);
  expect(listed.body.jobs.map((job: { uuid: string }) => job.uuid)).toEqual([executed.body.uuid]);
});

test('cancel on one instance stops the handler running on another (thread isolation) and frees its key everywhere', async () => {
  const [runner, canceller] = await pair(
    { jobsIsolation: 'thread', jobsMaxThreads: '1' },
    { jobsWorker: 'false' },
  );
  const file = path.join(tempDir(), 'cancelled');
  const executed = await execute(runner, 'Jobs.TouchWhenCancelled', [file], 'K');
  await eventually(async () =>
    expect((await details(canceller, executed.body.uuid)).body.messages).toHaveLength(1),
  );

  const { token } = (await request(canceller.url).get('/jobs/api/csrf-token').expect(200)).body;
  const cancelled = await request(canceller.url)
    .post(`/jobs/api/jobs/${executed.body.uuid}/cancel`)
    .set('X-CSRF-Token', token)
    .expect(200);
  expect(cancelled.body.state).toBe('Canceled');

  await eventually(() => expect(existsSync(file)).toBe(true), 10_000);
  expect((await details(runner, executed.body.uuid)).body.state).toBe('Canceled');
  expect((await execute(runner, 'Jobs.Sleep', [1], 'K')).status).toBe(200);
});

test('1,000 concurrent executes with one key across two instances start exactly one job', async () => {
  const [a, b] = await pair({}, {});
  const burst = { method: 'Jobs.Forever', key: 'only-one', count: 500 };
  const [fromA, fromB] = await Promise.all([
    request(a.url).post('/burst').send(burst).expect(200),
    request(b.url).post('/burst').send(burst).expect(200),
  ]);
  const started = [...fromA.body.started, ...fromB.body.started];
  expect(started).toHaveLength(1);
  expect(fromA.body.refused + fromB.body.refused).toBe(999);
  const active = await request(a.url).get('/jobs/api/jobs?state=Active').expect(200);
  expect(active.body.jobs.map((job: { uuid: string }) => job.uuid)).toEqual(started);
});

test('a process killed with SIGKILL mid-job: the job ends Failed with WBJ_WORKER_LOST on the survivor and is not run again', async () => {
  const instances = await pair({}, {});
  const executed = await execute(instances[0], 'Jobs.WhereAmI', [60_000]);
  let messages: { text: string }[] = [];
  await eventually(async () => {
    messages = (await details(instances[0], executed.body.uuid)).body.messages;
    expect(messages).toHaveLength(1);
  });
  const victim = instances.find((instance) => String(instance.pid) === messages[0].text)!;
  const survivor = instances.find((instance) => instance !== victim)!;
  await victim.kill();

  const awaited = await request(survivor.url).post(`/wait/${executed.body.uuid}`).expect(200);
  expect(awaited.body).toMatchObject({
    state: 'Failed',
    errorInfo: { code: 'WBJ_WORKER_LOST', description: expect.stringMatching(/was lost.*not run again/) },
  });
  expect(awaited.body.messages).toHaveLength(1);
});

test('while Redis is down, execute answers 503 WBJ_STORE_UNAVAILABLE and other routes still serve; when it is back, the same instance works again and nothing is lost', async () => {
  const persistent = await startRedis({ persistent: true });
  try {
    const instance = await startInstance(persistent.url, {});
    const before = await execute(instance, 'Jobs.Sleep', [1]);
    await request(instance.url).post(`/wait/${before.body.uuid}`).expect(200);
    const acrossOutage = await execute(instance, 'Jobs.Sleep', [1500]);

    await persistent.stop();
    const refused = await execute(instance, 'Jobs.Sleep', [1]);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({
      code: 'WBJ_STORE_UNAVAILABLE',
      message: expect.stringContaining(`the Redis store ${persistent.url} is unreachable`),
    });
    await request(instance.url).get('/health').expect(200);

    await persistent.restart();
    let after: request.Response | undefined;
    await eventually(async () => {
      after = await execute(instance, 'Jobs.Sleep', [1]);
      expect(after.status).toBe(200);
    }, 15_000);
    expect((await request(instance.url).post(`/wait/${after!.body.uuid}`).expect(200)).body.state).toBe(
      'Completed',
    );
    expect((await details(instance, before.body.uuid)).body.state).toBe('Completed');
    // The job whose end fell into the outage ends all the same: completed, or failed as lost; never left Active.
    await eventually(async () => {
      expect((await details(instance, acrossOutage.body.uuid)).body.state).not.toBe('Active');
    }, 15_000);
  } finally {
    await persistent.stop();
  }
});

test('a schedule declared in the web.config of two instances is one schedule that fires once per tick across them, over several ticks', async () => {
  const file = path.join(tempDir(), 'runs');
  const declared = `    <add name="Tick" method="Jobs.Append" params='${JSON.stringify([file])}' cron="* * * * * *" />`;
  const instances = await pair({}, {}, declared);
  // Each run appends "<pid> <ms>": which instance ran it, and when.
  const runs = () =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' ').map(Number))
      : [];
  await eventually(() => expect(runs().length).toBeGreaterThanOrEqual(6), 20_000);
  const seen = runs();
  const times = seen.map(([, ms]) => ms).sort((a, b) => a - b);
  // A tick run twice would start twice within milliseconds; ticks are a second apart.
  const gaps = times.slice(1).map((time, index) => time - times[index]);
  expect(Math.min(...gaps)).toBeGreaterThan(300);
  expect(times.length).toBeLessThanOrEqual(Math.ceil((times[times.length - 1] - times[0]) / 1000) + 1);
  for (const [pid] of seen) expect(instances.map((instance) => instance.pid)).toContain(pid);

  const queue = new Queue(`multi-${queues}-scheduled`, { connection: { url: redis.url } });
  try {
    expect(await queue.getJobSchedulersCount()).toBe(1);
  } finally {
    await queue.close();
  }
  for (const instance of instances) {
    const listed = await request(instance.url).get('/jobs/api/jobs').expect(200);
    const ticks = listed.body.jobs.filter(
      (job: { scheduledJob: string | null }) => job.scheduledJob === 'Tick',
    );
    expect(ticks.length).toBeGreaterThanOrEqual(seen.length);
  }
});
