import { existsSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { type BackgroundJobsManager, BackgroundJobState } from 'web-background-jobs';
import { createManager, eventually, tempDir, useRedisStore } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';
import { type AppInstance, startInstance } from './instances';

// execute's owner and onKeyConflict across instances of one Redis queue: the key rule is Redis's, so join and
// replace act on a job whichever instance executed or runs it, and two replaces racing from two instances leave one
// holder.
jest.setTimeout(60_000);

/** The active jobs holding `key`. */
async function holders(manager: BackgroundJobsManager, key: string): Promise<string[]> {
  return (await manager.getBackgroundJobs({ key, state: BackgroundJobState.Active })).map((job) => job.uuid);
}

describe('two instances in one process on one Redis queue', () => {
  useRedisStore();
  let queues = 0;
  /** Two managers on one queue of the test's own, each with its worker. */
  function pair(): [BackgroundJobsManager, BackgroundJobsManager] {
    queues += 1;
    const queueName = `keys-${process.pid}-${queues}`;
    return [createManager({ queueName }), createManager({ queueName })];
  }

  test("an owner is stored: the other instance reads it, filters by it, and joins that owner's job", async () => {
    const [a, b] = pair();
    const first = await a.execute('Jobs.Forever', [], 'K', '', { owner: 'user-1' });
    expect((await b.findByUUID(first.uuid))?.owner).toBe('user-1');
    expect((await b.getBackgroundJobs({ owner: 'user-1' })).map((job) => job.uuid)).toEqual([first.uuid]);
    const joined = await b.execute('Jobs.Forever', [], 'K', '', { owner: 'user-1', onKeyConflict: 'join' });
    expect(joined.uuid).toBe(first.uuid);
    expect(joined.owner).toBe('user-1');
    expect(await b.execute('Jobs.Forever', [], 'K', '', { owner: 'user-1', onKeyConflict: 'join' })).toBe(
      joined,
    );
    await expect(
      b.execute('Jobs.Forever', [], 'K', '', { owner: 'user-2', onKeyConflict: 'replace' }),
    ).rejects.toMatchObject({ code: 'WBJ_KEY_CONFLICT', holderUuid: first.uuid });
    expect(await holders(a, 'K')).toEqual([first.uuid]);
  });

  test('a replace on one instance cancels the job running on the other, stops its handler, and holds the key', async () => {
    const [a, b] = pair();
    const file = path.join(tempDir(), 'cancelled');
    const first = await a.execute('Jobs.TouchWhenCancelled', [file], 'K');
    await eventually(() => expect(first.getUserMessages()).toHaveLength(1), 20_000);
    const second = await b.execute('Jobs.TouchWhenCancelled', [path.join(tempDir(), 'second')], 'K', '', {
      onKeyConflict: 'replace',
    });
    expect((await b.findByUUID(first.uuid))?.state).toBe(BackgroundJobState.Canceled);
    expect(await holders(b, 'K')).toEqual([second.uuid]);
    await eventually(() => expect(existsSync(file)).toBe(true), 20_000);
    await eventually(() => expect(first.state).toBe(BackgroundJobState.Canceled), 20_000);
    expect(await holders(a, 'K')).toEqual([second.uuid]);
  });

  test('replaces racing from both instances leave exactly one active holder, every other job of the key cancelled', async () => {
    const [a, b] = pair();
    const first = await a.execute('Jobs.Forever', [], 'K');
    const outcomes = await Promise.allSettled(
      [a, b, a, b].map((manager) =>
        manager.execute('Jobs.Forever', [], 'K', '', { onKeyConflict: 'replace' }),
      ),
    );
    const started = outcomes.flatMap((outcome) =>
      outcome.status === 'fulfilled' ? [outcome.value.uuid] : [],
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'WBJ_KEY_CONFLICT' });
    }
    const active = await holders(a, 'K');
    expect(active).toHaveLength(1);
    expect(started).toContain(active[0]);
    const others = (await b.getBackgroundJobs({ key: 'K' })).filter((job) => job.uuid !== active[0]);
    expect(others.map((job) => job.uuid)).toEqual(expect.arrayContaining([first.uuid]));
    expect(others.map((job) => job.state)).toEqual(others.map(() => BackgroundJobState.Canceled));
  });
});

describe('two app processes on one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  let queues = 0;
  function pair(first: Record<string, string>, second: Record<string, string>): Promise<AppInstance[]> {
    queues += 1;
    const jobsQueueName = `keys-multi-${queues}`;
    return Promise.all([
      startInstance(redis.url, { jobsQueueName, ...first }),
      startInstance(redis.url, { jobsQueueName, ...second }),
    ]);
  }
  const execute = (instance: AppInstance, body: object) => request(instance.url).post('/execute').send(body);
  const activeWithKey = async (instance: AppInstance, key: string) =>
    (await request(instance.url).get(`/jobs/api/jobs?state=Active`).expect(200)).body.jobs
      .filter((job: { key: string }) => job.key === key)
      .map((job: { uuid: string }) => job.uuid);

  test('a replace sent to one process stops the handler running in a worker thread of the other, and only the new job holds the key', async () => {
    const [runner, web] = await pair(
      { jobsIsolation: 'thread', jobsMaxThreads: '1' },
      { jobsWorker: 'false' },
    );
    const file = path.join(tempDir(), 'cancelled');
    const first = await execute(runner, {
      method: 'Jobs.TouchWhenCancelled',
      params: [file],
      key: 'K',
      options: { owner: 'u' },
    });
    expect(first.status).toBe(200);
    // Its handler runs in the runner's worker thread: the replace has a handler to stop there.
    await eventually(async () => {
      const { body } = await request(web.url).get(`/jobs/api/jobs/${first.body.uuid}`).expect(200);
      expect(body.messages).toHaveLength(1);
    }, 20_000);
    const refused = await execute(web, {
      method: 'Jobs.TouchWhenCancelled',
      key: 'K',
      options: { owner: 'v', onKeyConflict: 'replace' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'WBJ_KEY_CONFLICT', holderUuid: first.body.uuid });
    const joined = await execute(web, {
      method: 'Jobs.TouchWhenCancelled',
      key: 'K',
      options: { owner: 'u', onKeyConflict: 'join' },
    });
    expect(joined.body).toMatchObject({ uuid: first.body.uuid, owner: 'u' });
    const second = await execute(web, {
      method: 'Jobs.TouchWhenCancelled',
      params: [path.join(tempDir(), 'second')],
      key: 'K',
      options: { owner: 'u', onKeyConflict: 'replace' },
    });
    expect(second.status).toBe(200);
    await eventually(() => expect(existsSync(file)).toBe(true), 20_000);
    expect(await activeWithKey(runner, 'K')).toEqual([second.body.uuid]);
  });

  test('replaces racing from two processes leave exactly one active holder', async () => {
    const [a, b] = await pair({}, {});
    await execute(a, { method: 'Jobs.Forever', key: 'K' }).expect(200);
    const replaces = await Promise.all(
      [a, b, a, b, a, b].map((instance) =>
        execute(instance, { method: 'Jobs.Forever', key: 'K', options: { onKeyConflict: 'replace' } }),
      ),
    );
    expect(
      replaces.every((response) => response.status === 200 || response.body.code === 'WBJ_KEY_CONFLICT'),
    ).toBe(true);
    const active = await activeWithKey(b, 'K');
    expect(active).toHaveLength(1);
    expect(replaces.map((response) => response.body.uuid)).toContain(active[0]);
  });
});
