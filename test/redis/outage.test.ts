import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Worker } from 'bullmq';
import type { BackgroundJob, Isolation } from 'web-background-jobs';
import { createManager, eventually, ISOLATIONS, recordingLogger, tempDir } from '../helpers';
import { freePort, useOwnRedis } from '../redisServer';

// A job's record vanishing from Redis, and a worker cut off from Redis for longer than its locks live: whatever
// happens, the job ends, its waits settle, and its failure says what happened.
jest.setTimeout(60_000);

const CHAOS_HANDLERS = path.join(__dirname, '..', 'fixtures', 'process', 'chaos-handlers');

const redis = useOwnRedis();

let queues = 0;
function queueName(): string {
  queues += 1;
  return `outage-${queues}`;
}

/** A Chaos.UntilFile job's files: `go` lets it end; `ledger` says how far its handler got, without the UUID. */
function untilFile() {
  const folder = tempDir();
  const go = path.join(folder, 'go');
  const ledger = path.join(folder, 'ledger');
  const lines = () => (existsSync(ledger) ? readFileSync(ledger, 'utf8').split('\n').filter(Boolean) : []);
  return {
    params: [go, ledger],
    go: () => writeFileSync(go, ''),
    ledger: () => lines().map((line) => line.slice(line.indexOf(' ') + 1)),
  };
}

/** How `job`'s wait settles: `'resolved'`, or the code it rejects with. */
function settled(job: BackgroundJob): Promise<string> {
  return job.waitForCompletion().then(
    () => 'resolved',
    (error: { code: string }) => error.code,
  );
}

test.each(ISOLATIONS)(
  'a job whose record is evicted ends Failed with WBJ_JOB_LOST on every instance holding it, its waits settle, and the handler still running it is stopped [%s]',
  async (isolation) => {
    const shared = { handlers: CHAOS_HANDLERS, store: redis.url, queueName: queueName(), checkInterval: 200 };
    const runner = createManager({ ...shared, isolation, lostWorkerSeconds: 5 });
    const web = createManager({ ...shared, worker: false });
    const files = untilFile();
    const job = await web.execute('Chaos.UntilFile', files.params);
    await eventually(() => expect(files.ledger()).toEqual(['started']), 10_000);
    const onRunner = await runner.findByUUID(job.uuid);
    const waits = [settled(job), settled(onRunner!)];

    await redis.admin.del(`bull:${shared.queueName}:${job.uuid}`); // as maxmemory eviction would

    await eventually(() => expect([job.state, onRunner!.state]).toEqual(['Failed', 'Failed']), 10_000);
    expect(await Promise.all(waits)).toEqual(['WBJ_JOBS_FAILED', 'WBJ_JOBS_FAILED']);
    for (const copy of [job, onRunner!]) {
      expect(copy.errorInfo).toMatchObject({
        code: 'WBJ_JOB_LOST',
        description: expect.stringMatching(
          /record disappeared from Redis \(a restart without persistence, FLUSHDB, or eviction\)/,
        ),
      });
    }
    await eventually(() => expect(files.ledger()).toEqual(['started', 'stopped: WBJ_JOB_LOST']));
  },
);

const proxies: (() => Promise<void>)[] = [];
// After the managers (closed by the helpers' afterEach, registered first), so that they close through it.
afterEach(() => Promise.all(proxies.splice(0).map((cut) => cut())));

/**
 * A TCP proxy in front of the test's Redis: `cut()` drops every connection through it and refuses new ones;
 * `restore()` accepts them again, and resolves once as many connections are up as before the cut (a manager closed
 * while one of BullMQ's connections is still reconnecting waits for it forever).
 */
async function redisProxy() {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const upstreams = new Set<net.Socket>();
  let before = 0;
  let server: net.Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((socket) => {
        const upstream = net.connect(redis.port, '127.0.0.1', () => upstreams.add(upstream));
        upstream.on('close', () => upstreams.delete(upstream));
        for (const end of [socket, upstream]) {
          sockets.add(end);
          end.on('error', () => end.destroy());
          end.on('close', () => (sockets.delete(end), socket.destroy(), upstream.destroy()));
        }
        socket.pipe(upstream).pipe(socket);
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  await listen();
  const cut = () =>
    new Promise<void>((resolve) => {
      before = upstreams.size;
      for (const socket of sockets) socket.destroy();
      if (!server!.listening) return resolve();
      server!.close(() => resolve());
    });
  proxies.push(cut);
  const restore = async () => {
    await listen();
    await eventually(() => expect(upstreams.size).toBe(before), 10_000);
  };
  return { url: `redis://127.0.0.1:${port}`, cut, restore };
}

/**
 * A worker instance on a queue of its own, reaching Redis through a proxy the test cuts: one job at a time, locks
 * of 1 s. Its job is running once this resolves.
 */
async function cutOffWorker(files: ReturnType<typeof untilFile>, isolation: Isolation = 'inline') {
  const proxy = await redisProxy();
  const queue = queueName();
  const logger = recordingLogger();
  const manager = createManager({
    isolation,
    logger,
    handlers: CHAOS_HANDLERS,
    store: proxy.url,
    queueName: queue,
    checkInterval: 200,
    lostWorkerSeconds: 1,
    maxConcurrency: 1,
  });
  const job = await manager.execute('Chaos.UntilFile', files.params);
  await eventually(() => expect(files.ledger()).toEqual(['started']), 10_000);
  const key = `bull:${queue}:${job.uuid}`;
  /** Resolves once the instance knows Redis is out of its reach (it logs the outage once). */
  const outageNoticed = () =>
    eventually(() =>
      expect(logger.lines.error.some((line) => line.includes('Lost the Redis store'))).toBe(true),
    );
  return { proxy, queue, job, key, settled: settled(job), outageNoticed };
}

/** BullMQ's stalled-job check, run by another process that can reach Redis: it gives up jobs whose lock lapsed. */
function stalledJobCheck(queue: string): Worker {
  const checker = new Worker(queue, undefined, {
    connection: { url: redis.url },
    autorun: false,
    maxStalledCount: 0,
    lockDuration: 1000,
    stalledInterval: 100,
  });
  void checker.startStalledCheckTimer();
  return checker;
}

test('a worker cut off from Redis for longer than jobsLostWorkerSeconds while its handler ends stores the job Completed once Redis is back', async () => {
  const files = untilFile();
  const { proxy, queue, job, key, settled } = await cutOffWorker(files);
  // Its lock renewed since the last stalled-job check: no check can give the job up as soon as it is back.
  await eventually(async () =>
    expect(await redis.admin.sismember(`bull:${queue}:stalled`, job.uuid)).toBe(0),
  );

  await proxy.cut();
  files.go();
  await eventually(() => expect(files.ledger()).toEqual(['started', 'done']));
  await eventually(async () => expect(await redis.admin.exists(`${key}:lock`)).toBe(0)); // its lock lapsed
  await proxy.restore();

  expect(await settled).toBe('resolved');
  expect([job.state, job.result]).toEqual(['Completed', 'done']);
});

test('a worker cut off for longer than jobsLostWorkerSeconds whose job BullMQ gave up meanwhile: the job fails saying Redis was unreachable and how its handler ended could not be stored', async () => {
  const files = untilFile();
  const { proxy, queue, job, key, settled, outageNoticed } = await cutOffWorker(files);
  const checker = stalledJobCheck(queue);
  try {
    await proxy.cut();
    // Its handler ends in an outage the instance knows of. (Ended before the instance noticed, the job fails with
    // BullMQ's own reason: it stopped answering, or could not reach Redis; see docs/redis.md.)
    await outageNoticed();
    files.go();
    await eventually(() => expect(files.ledger()).toEqual(['started', 'done']));
    await eventually(async () => expect(await redis.admin.hexists(key, 'defa')).toBe(1), 10_000); // given up
    await proxy.restore();

    expect(await settled).toBe('WBJ_JOBS_FAILED');
    expect(job.errorInfo).toMatchObject({
      code: 'WBJ_WORKER_LOST',
      description: `Background job ${job.uuid} was lost: the process running it could not reach Redis for longer than jobsLostWorkerSeconds (1 s), so how its handler ended could not be stored; it failed and was not run again`,
    });
  } finally {
    await checker.close();
  }
});

test.each(ISOLATIONS)(
  'a worker cut off for longer than jobsLostWorkerSeconds whose job BullMQ gave up meanwhile stops the handler still running it, and the job says so [%s]',
  async (isolation) => {
    const files = untilFile();
    const { proxy, queue, job, key, settled } = await cutOffWorker(files, isolation);
    const checker = stalledJobCheck(queue);
    try {
      await proxy.cut();
      await eventually(async () => expect(await redis.admin.hexists(key, 'defa')).toBe(1), 10_000); // given up
      await proxy.restore();

      expect(await settled).toBe('WBJ_JOBS_FAILED');
      expect(job.errorInfo).toMatchObject({
        code: 'WBJ_WORKER_LOST',
        description: `Background job ${job.uuid} was lost: the process running it could not reach Redis for longer than jobsLostWorkerSeconds (1 s), so its handler was stopped; it failed and was not run again`,
      });
      await eventually(() => expect(files.ledger()).toEqual(['started', 'stopped: WBJ_WORKER_LOST']));
    } finally {
      await checker.close();
    }
  },
);
