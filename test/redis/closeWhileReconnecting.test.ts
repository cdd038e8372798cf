import { createManager } from '../helpers';
import { useOwnRedis } from '../redisServer';

// A worker whose connection cannot reconnect for a while, though Redis answers the instance's own connection (a
// connection limit reached, as in a storm of reconnections after a restart): close() waits a little for it, and the
// worker takes no job meanwhile.
jest.setTimeout(60_000);

const redis = useOwnRedis();

test('close() of a worker whose fetching connection is refused a reconnect settles, and the worker takes no queued job meanwhile', async () => {
  const manager = createManager({
    store: redis.url,
    queueName: 'refused',
    isolation: 'inline',
    maxConcurrency: 2,
  });
  // A job begun before close() may be told after it: what counts is when it began.
  let closedAt = Infinity;
  let startedWhileClosing = 0;
  manager.on('started', ({ begin }) => void (begin.getTime() >= closedAt && (startedWhileClosing += 1)));
  const twoStarted = new Promise<void>((resolve) => {
    let started = 0;
    manager.on('started', () => void ((started += 1) === 2 && resolve()));
  });
  for (let job = 0; job < 40; job += 1) await manager.execute('Jobs.Sleep', [100]);
  await twoStarted;
  // The worker's fetching connection (its blocking BZPOPMIN) is cut, and Redis refuses it a new one.
  const fetching = (await redis.admin.client('LIST')) as string;
  const line = fetching.split('\n').find((each) => / cmd=bzpopmin /.test(each));
  expect(line).toBeDefined();
  await redis.admin.config('SET', 'maxclients', '1');
  await redis.admin.client('KILL', 'ID', /id=(\d+)/.exec(line!)![1]!);
  closedAt = Date.now();
  const closed = manager.close({ graceSeconds: 0 });
  await new Promise<void>((resolve) => setImmediate(resolve));
  await redis.admin.config('SET', 'maxclients', '10000');
  await closed;
  expect(startedWhileClosing).toBe(0);
  expect(await redis.admin.llen('bull:refused:wait')).toBeGreaterThan(30);
});

test('close() of a worker whose fetching connection cannot reconnect still lets its running jobs finish and store their ends', async () => {
  const queueName = 'refused-running';
  const manager = createManager({ store: redis.url, queueName, isolation: 'inline', maxConcurrency: 3 });
  const twoStarted = new Promise<void>((resolve) => {
    let started = 0;
    manager.on('started', () => void ((started += 1) === 2 && resolve()));
  });
  const jobs = [await manager.execute('Jobs.Sleep', [4500]), await manager.execute('Jobs.Sleep', [4500])];
  await twoStarted;
  const line = ((await redis.admin.client('LIST')) as string)
    .split('\n')
    .find(
      (each) =>
        / cmd=bzpopmin /.test(each) &&
        each.includes(`name=bull:${Buffer.from(queueName).toString('base64')}`),
    );
  expect(line).toBeDefined();
  await redis.admin.config('SET', 'maxclients', '1');
  await redis.admin.client('KILL', 'ID', /id=(\d+)/.exec(line!)![1]!);
  // Refused for longer than close() waits for a connection to reconnect (3 s), the jobs still running then.
  const lifted = new Promise<void>((resolve) =>
    setTimeout(() => void redis.admin.config('SET', 'maxclients', '10000').then(() => resolve()), 5000),
  );
  await manager.close({ graceSeconds: 10 });
  await lifted;
  const reader = createManager({ store: redis.url, queueName, worker: false });
  const ends = await Promise.all(jobs.map((job) => reader.findByUUID(job.uuid)));
  expect(ends.map((job) => job?.state)).toEqual(['Completed', 'Completed']);
});
