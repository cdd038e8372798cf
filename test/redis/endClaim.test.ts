import { existsSync } from 'node:fs';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type BackgroundJobsManager, BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, tempDir, useRedisStore } from '../helpers';

// How a job's end is decided against a cancel on Redis (the end claim): a job cancelled while queued, or right after
// execute, never runs; a cancel that wins over a handler ending at the same moment is what every instance reads; and
// the worker decides it with no round trip of its own, inside BullMQ's scripts.
jest.setTimeout(60_000);

describeEachIsolation('a cancel right after execute', () => {
  test('keeps the handler from running, 200 jobs in a row (on Redis, though the same instance takes each job at once)', async () => {
    const manager = createManager();
    const folder = tempDir();
    const jobs = [];
    for (let index = 0; index < 200; index += 1) {
      const job = await manager.execute('Jobs.Touch', [path.join(folder, String(index))]);
      await job.cancel();
      jobs.push(job);
    }
    const marker = await manager.execute('Jobs.Sleep', [5]); // taken after all of them
    await marker.waitForCompletion(30);
    expect(jobs.filter((job) => job.state !== BackgroundJobState.Canceled)).toEqual([]);
    expect(jobs.filter((_, index) => existsSync(path.join(folder, String(index))))).toEqual([]);
  });
});

describe('the end claim on Redis', () => {
  useRedisStore();

  /** BullMQ's own view of `manager`'s queue, closed after the test. */
  const bullQueues: Queue[] = [];
  afterEach(() => Promise.all(bullQueues.splice(0).map((queue) => queue.close())));
  const bullQueue = (manager: BackgroundJobsManager): Queue => {
    const queue = new Queue(manager.settings.queueName, { connection: { url: manager.settings.store } });
    bullQueues.push(queue);
    return queue;
  };

  test('the worker reads no end claim before the handler and claims the end in the script that stores it: no command of its own', async () => {
    const manager = createManager();
    await (await manager.execute('Reports.Build', [1, 'a'])).waitForCompletion(); // connections and scripts are up
    const monitor = await new Redis(manager.settings.store).monitor();
    const commands: { source: string; args: string[] }[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => commands.push({ source, args }));
    try {
      const job = await manager.execute('Reports.Build', [2, 'b']);
      await job.waitForCompletion();
      const stored = (command: { source: string; args: string[] }): boolean =>
        command.args[0]?.toUpperCase() === 'ZADD' &&
        command.args[1]!.endsWith(':completed') &&
        command.args.includes(job.uuid);
      await eventually(() => expect(commands.some(stored)).toBe(true));
      const claimKey = `bull:${manager.settings.queueName}:wbj-decision:${job.uuid}`;
      expect(commands.filter(({ source, args }) => source !== 'lua' && args.includes(claimKey))).toEqual([]);
      // The script that stored the job's end: its commands from the top-level call to the next one.
      const end = commands.findIndex(stored);
      const calls = commands.map(({ source }, index) => (source === 'lua' ? -1 : index));
      const start = Math.max(...calls.slice(0, end));
      const next = calls.find((index) => index > end) ?? commands.length;
      const script = commands.slice(start + 1, next).map(({ args }) => args.join(' '));
      expect(script).toContain(`SET ${claimKey} finished PX 60000 NX`);
    } finally {
      monitor.disconnect();
    }
  });

  test('a handler that ignores its cancel and returns: the job is stored Canceled with no result, as every instance reads it', async () => {
    const runner = createManager();
    const { queueName } = runner.settings;
    const web = createManager({ queueName, worker: false });
    const job = await web.execute('Jobs.IgnoreCancel', [300]);
    await eventually(() => expect(job.begin).toBeDefined(), 10_000);
    await job.cancel();
    expect(job.state).toBe(BackgroundJobState.Canceled);
    const bull = bullQueue(runner);
    await eventually(async () => expect(await bull.getJobState(job.uuid)).toBe('failed'), 10_000);
    const stored = await bull.getJob(job.uuid);
    expect([stored!.returnvalue, JSON.parse(stored!.failedReason)]).toEqual([
      null,
      { webBackgroundJobs: 'canceled' },
    ]);
    const fresh = (await createManager({ queueName, worker: false }).findByUUID(job.uuid))!;
    expect([fresh.state, fresh.result, fresh.errorInfo]).toEqual([
      BackgroundJobState.Canceled,
      undefined,
      undefined,
    ]);
  });

  /** A runner of one job at a time, busy with a job until `free()`, and a web instance without a worker. */
  async function busyRunner() {
    const runner = createManager({ maxConcurrency: 1 });
    const web = createManager({ queueName: runner.settings.queueName, worker: false });
    const blocker = await runner.execute('Jobs.Forever');
    await eventually(() => expect(blocker.begin).toBeDefined(), 10_000);
    return { runner, web, free: () => blocker.cancel() };
  }

  test('a job cancelled while queued, from another instance, never runs, and its params stay exactly as given', async () => {
    const { runner, web, free } = await busyRunner();
    const file = path.join(tempDir(), 'ran');
    const params = [file, 1e21, 0.1, 123456789012345680000, -1.5e-7, { nested: [2 ** 53 + 2] }];
    const queued = await web.execute('Jobs.Touch', params);
    await queued.cancel();
    expect(queued.state).toBe(BackgroundJobState.Canceled);
    await free();
    const bull = bullQueue(runner);
    await eventually(async () => expect(await bull.getJobState(queued.uuid)).toBe('failed'), 10_000);
    expect(existsSync(file)).toBe(false);
    // The cancel marked the job's data for the worker as text: the params' JSON was not decoded and encoded again.
    const data = (await bull.getJob(queued.uuid))!.data as { params: unknown[] };
    expect(data.params).toEqual(params);
    const raw = await (await bull.getBackend().client).hget(bull.toKey(queued.uuid), 'data');
    expect(raw).toContain(JSON.stringify(params));
  });

  test('a replace of a job still queued keeps it from ever running', async () => {
    const { runner, web, free } = await busyRunner();
    const [file, replacement] = [path.join(tempDir(), 'ran'), path.join(tempDir(), 'replacement')];
    const holder = await web.execute('Jobs.Touch', [file], 'K');
    const replacing = await web.execute('Jobs.Touch', [replacement], 'K', '', { onKeyConflict: 'replace' });
    expect((await web.findByUUID(holder.uuid))?.state).toBe(BackgroundJobState.Canceled);
    await free();
    await replacing.waitForCompletion(10);
    expect(existsSync(replacement)).toBe(true);
    const bull = bullQueue(runner);
    await eventually(async () => expect(await bull.getJobState(holder.uuid)).toBe('failed'), 10_000);
    expect(existsSync(file)).toBe(false);
  });
});

describe('a cancel racing the worker on Redis', () => {
  useRedisStore();

  test('a cancel from another instance just after BullMQ handed the job to a worker keeps its handler from running, with no re-check', async () => {
    // BullMQ's worker calls the processor a while after the job went active (a busy event loop does the same): the
    // cancel runs in between, so the job's data bears no mark and its run has not begun when the cancel is heard.
    const prototype = Worker.prototype as unknown as {
      callProcessJob: (...args: unknown[]) => Promise<unknown>;
    };
    const callProcessJob = prototype.callProcessJob;
    let processed: Promise<unknown> | undefined;
    let handedOver!: () => void;
    const activeHeld = new Promise<void>((resolve) => (handedOver = resolve));
    prototype.callProcessJob = async function (this: unknown, ...args: unknown[]) {
      handedOver();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return (processed = callProcessJob.apply(this, args));
    };
    try {
      const runner = createManager({ checkInterval: 0, isolation: 'inline' });
      const web = createManager({ queueName: runner.settings.queueName, worker: false, checkInterval: 0 });
      const file = path.join(tempDir(), 'ran');
      const job = await web.execute('Jobs.Touch', [file]);
      await activeHeld;
      await job.cancel();
      expect(job.state).toBe(BackgroundJobState.Canceled);
      await eventually(() => expect(processed).toBeDefined());
      await processed!.catch(() => undefined); // the run is over: yielded to the cancel
      expect(existsSync(file)).toBe(false);
      expect((await runner.findByUUID(job.uuid))?.state).toBe(BackgroundJobState.Canceled);
    } finally {
      prototype.callProcessJob = callProcessJob;
    }
  });

  test("a cancel right after an execute that replaced the key's holder keeps the replacement's handler from running", async () => {
    const manager = createManager({ isolation: 'inline' });
    const folder = tempDir();
    const file = (name: string): string => path.join(folder, name);
    const replacements = [];
    for (let index = 0; index < 10; index += 1) {
      // The same method: a key is unique among the active jobs of one method. Each writes its file once cancelled.
      const holder = await manager.execute('Jobs.TouchWhenCancelled', [file(`holder-${index}`)], 'K');
      await eventually(() => expect(holder.begin).toBeDefined());
      const replacement = await manager.execute(
        'Jobs.TouchWhenCancelled',
        [file(`replacement-${index}`)],
        'K',
        '',
        {
          onKeyConflict: 'replace',
        },
      );
      expect(holder.state).toBe(BackgroundJobState.Canceled);
      await replacement.cancel();
      replacements.push(replacement);
      await eventually(() => expect(existsSync(file(`holder-${index}`))).toBe(true)); // the holder's handler stopped
    }
    const marker = await manager.execute('Jobs.Sleep', [5]); // taken after all of them
    await marker.waitForCompletion(30);
    expect(replacements.map((job) => job.state)).toEqual(Array(10).fill(BackgroundJobState.Canceled));
    expect(replacements.filter((_, index) => existsSync(file(`replacement-${index}`)))).toEqual([]);
  });
});
