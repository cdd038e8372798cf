import type { BackgroundJobsManager } from 'web-background-jobs';
import { createManager, eventually } from '../helpers';
import { useOwnRedis } from '../redisServer';
import { holdWritesAsItEnds } from './heldWrites';

// A job BullMQ hands to a worker as its instance closes goes back to the queue untouched, for the other instances:
// it never begins there, nor reads as begun anywhere.
jest.setTimeout(60_000);

const redis = useOwnRedis();

/** The uuids of the jobs `manager` tells `started`. */
function startedBy(manager: BackgroundJobsManager): string[] {
  const started: string[] = [];
  manager.on('started', ({ uuid }) => void started.push(uuid));
  return started;
}

test('a job added as an idle worker closes is left in the queue for the other instances, never started there', async () => {
  const queueName = 'closing-idle';
  const closing = createManager({ store: redis.url, queueName, isolation: 'inline' });
  const web = createManager({ store: redis.url, queueName, worker: false });
  await Promise.all([closing.getBackgroundJobs(), web.getBackgroundJobs()]);
  const [startedThere, heardByWeb] = [startedBy(closing), startedBy(web)];
  const closed = closing.close({ graceSeconds: 0 });
  const jobs = await Promise.all(Array.from({ length: 5 }, () => web.execute('Jobs.Sleep', [1])));
  await closed;
  expect(startedThere).toEqual([]);
  createManager({ store: redis.url, queueName, isolation: 'inline' }); // another instance's worker runs them
  await web.waitForCompletion(jobs);
  expect((await Promise.all(jobs.map((job) => web.findByUUID(job.uuid)))).map((job) => job?.state)).toEqual(
    Array(5).fill('Completed'),
  );
  // Told started once each: by the instance that ran it, never by the one that closed.
  await eventually(() => expect([...heardByWeb].sort()).toEqual(jobs.map(({ uuid }) => uuid).sort()));
});

/** How many connections of `queueName`'s workers wait in Redis for a job (BullMQ's BZPOPMIN). */
async function waitingWorkers(queueName: string): Promise<number> {
  const name = `name=bull:${Buffer.from(queueName).toString('base64')} `;
  const clients = ((await redis.admin.client('LIST')) as string).split('\n');
  return clients.filter((line) => line.includes(name) && / cmd=bzpopmin /.test(line)).length;
}

/** How many connections Redis holds: blocked reads, and writes while writes are paused. */
async function heldClients(): Promise<number> {
  const clients = ((await redis.admin.client('LIST')) as string).split('\n');
  return clients.filter((line) => / flags=b /.test(line)).length;
}

test('a job added as one of two idle instances closes starts at once on the other, not after its wait for jobs times out', async () => {
  const queueName = 'closing-beside-idle';
  const closing = createManager({ store: redis.url, queueName, isolation: 'inline', maxConcurrency: 2 });
  const web = createManager({ store: redis.url, queueName, worker: false });
  // The closing instance runs a job through its grace, its other slot waiting for a job (BullMQ closes that wait
  // only after the grace): Redis wakes it first when a job is added, as it waited first.
  const running = await web.execute('Jobs.Sleep', [3000]);
  await eventually(() => expect(running.begin).toBeDefined());
  await eventually(async () => expect(await waitingWorkers(queueName)).toBe(1));
  const other = createManager({ store: redis.url, queueName, isolation: 'inline' });
  await eventually(async () => expect(await waitingWorkers(queueName)).toBe(2));
  const startedThere: string[] = [];
  other.on('started', ({ uuid }) => void startedThere.push(uuid));
  const closed = closing.close({ graceSeconds: 10 });
  const job = await web.execute('Jobs.Sleep', [1]);
  await web.waitForCompletion([running]);
  // Woken for the closing worker, which takes no job, the wake-up went to the other: were it lost, the other would
  // look only when its own wait timed out (BullMQ's drainDelay, 5 s), after the running job's end.
  expect(startedThere).toEqual([job.uuid]);
  await closed;
  await web.waitForCompletion([job]);
});

test('a job handed over by a request sent just before close() goes back untouched: not started by the closing instance, read as not begun, then run once elsewhere', async () => {
  const queueName = 'hand-back-in-flight';
  const closing = createManager({ store: redis.url, queueName, isolation: 'inline', maxConcurrency: 1 });
  const [startedThere, failedThere] = [startedBy(closing), [] as string[]];
  closing.on('failed', ({ uuid }) => void failedThere.push(uuid));
  // An instance hearing every job's events from Redis, as the web instance of a job handed back does.
  const watcher = createManager({ store: redis.url, queueName, worker: false, events: 'all' });
  const heardByWatcher: { event: string; uuid: string; attempt: number | undefined }[] = [];
  for (const event of ['started', 'failed', 'completed'] as const)
    watcher.on(event, (payload) =>
      heardByWatcher.push({
        event,
        uuid: payload.uuid,
        attempt: 'attempt' in payload ? payload.attempt : undefined,
      }),
    );
  await watcher.getBackgroundJobs(); // reads the event stream
  let nextAdded!: () => void;
  const ending = holdWritesAsItEnds(redis.admin, { ready: new Promise((resolve) => (nextAdded = resolve)) });
  const first = await closing.execute('Probe.BeforeEnd');
  const next = await closing.execute('Jobs.Sleep', [1]);
  nextAdded();
  await ending;
  const closed = closing.close({ graceSeconds: 0 });
  await redis.admin.client('UNPAUSE');
  await closed;
  // Taken for the closing worker (Redis told every instance it began), then handed back, saying so.
  const told = (await redis.admin.xrange(`bull:${queueName}:events`, '-', '+'))
    .filter(([, fields]) => fields.includes(next.uuid))
    .map(([, fields]) => fields[1]);
  expect(told.slice(-3)).toEqual(['active', 'wbj:handBack', 'waiting']);
  expect(startedThere).toEqual([first.uuid]);
  expect(failedThere).toEqual([]);
  const web = createManager({ store: redis.url, queueName, worker: false });
  expect(await web.findByUUID(first.uuid)).toMatchObject({ state: 'Completed', result: 'ended' });
  expect(await web.findByUUID(next.uuid)).toMatchObject({ state: 'Active', begin: undefined });
  const runner = createManager({ store: redis.url, queueName, isolation: 'inline' });
  const startedByRunner = startedBy(runner);
  await web.waitForCompletion([(await web.findByUUID(next.uuid))!]);
  const ran = await web.findByUUID(next.uuid);
  expect(ran).toMatchObject({ state: 'Completed' });
  expect(ran?.attemptErrors ?? []).toEqual([]);
  expect(startedByRunner).toEqual([next.uuid]);
  // It may have been told started as Redis said so (a race it cannot win), but only ever as attempt 1, never failed.
  await eventually(() =>
    expect(heardByWatcher.filter(({ uuid }) => uuid === next.uuid).at(-1)).toEqual({
      event: 'completed',
      uuid: next.uuid,
      attempt: undefined,
    }),
  );
  const toldNext = heardByWatcher.filter(({ uuid, event }) => uuid === next.uuid && event !== 'completed');
  expect(toldNext.length).toBeGreaterThanOrEqual(1);
  expect(toldNext).toEqual(Array(toldNext.length).fill({ event: 'started', uuid: next.uuid, attempt: 1 }));
});

test('the instance that executed a job handed back, then taken at once elsewhere, tells it started with its real begin', async () => {
  const queueName = 'hand-back-taken-at-once';
  const web = createManager({ store: redis.url, queueName, worker: false });
  const heard: { event: string; uuid: string; begin?: number; runSeconds?: number }[] = [];
  for (const event of ['started', 'failed', 'completed'] as const)
    web.on(event, (payload) =>
      heard.push({
        event,
        uuid: payload.uuid,
        begin: 'begin' in payload ? payload.begin.getTime() : undefined,
        runSeconds: 'runSeconds' in payload ? payload.runSeconds : undefined,
      }),
    );
  await web.getBackgroundJobs();
  const closing = createManager({ store: redis.url, queueName, isolation: 'inline', maxConcurrency: 1 });
  let nextAdded!: () => void;
  const ending = holdWritesAsItEnds(redis.admin, { ready: new Promise((resolve) => (nextAdded = resolve)) });
  const first = await web.execute('Probe.BeforeEnd');
  const next = await web.execute('Jobs.Sleep', [300]);
  nextAdded();
  await ending;
  // An idle instance whose first requests are held behind the closing worker's script: it takes the job handed back.
  const heldBefore = await heldClients();
  const runner = createManager({ store: redis.url, queueName, isolation: 'inline' });
  await eventually(async () => expect(await heldClients()).toBeGreaterThan(heldBefore));
  const closed = closing.close({ graceSeconds: 0 });
  await redis.admin.client('UNPAUSE');
  await closed;
  await web.waitForCompletion([first, next]);
  expect(
    (await redis.admin.xrange(`bull:${queueName}:events`, '-', '+'))
      .filter(([, fields]) => fields.includes(next.uuid))
      .map(([, fields]) => fields[1]),
  ).toContain('wbj:handBack');
  const record = await redis.admin.hmget(`bull:${queueName}:${next.uuid}`, 'processedOn', 'finishedOn');
  const [begin, end] = record.map(Number) as [number, number];
  await eventually(() =>
    expect(heard.filter(({ uuid }) => uuid === next.uuid).at(-1)?.event).toBe('completed'),
  );
  const toldNext = heard.filter(({ uuid }) => uuid === next.uuid);
  expect(toldNext.filter(({ event }) => event === 'started').at(-1)?.begin).toBe(begin);
  expect(toldNext.at(-1)?.runSeconds).toBeCloseTo((end - begin) / 1000, 2);
  expect((await web.findByUUID(next.uuid))?.begin?.getTime()).toBe(begin);
  expect(runner).toBeDefined();
});
