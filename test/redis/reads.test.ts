import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { backgroundJobsDashboard, BackgroundJobState, type BackgroundJobsManager } from 'web-background-jobs';
import { createManager, eventually, useRedisStore } from '../helpers';

// Reads on a Redis store cost what they return: counted in bytes Redis sends (INFO stats), since a read that
// transfers a job's params, result or whole log shows there whatever its speed.

const MB = 1024 * 1024;
/** Far above what a few summaries take, far below the megabytes of params, results and logs the jobs hold. */
const SMALL_READ = 256 * 1024;

/** Bytes redis-server sent to all its clients while `during` ran. */
async function bytesSent(manager: BackgroundJobsManager, during: () => Promise<void>): Promise<number> {
  const probe = new Redis(manager.settings.store);
  try {
    const sent = async () => Number(/total_net_output_bytes:(\d+)/.exec(await probe.info('stats'))![1]);
    const before = await sent();
    await during();
    return (await sent()) - before;
  } finally {
    probe.disconnect();
  }
}

/** A manager that runs jobs, and a web-only one on the same queue: an instance that finds jobs run elsewhere. */
function twoInstances(options: { checkInterval?: number } = {}) {
  const worker = createManager({ isolation: 'inline' });
  const web = createManager({ queueName: worker.settings.queueName, worker: false, ...options });
  return { worker, web };
}

function dashboardOf(manager: BackgroundJobsManager): express.Express {
  const app = express();
  app.use('/jobs', backgroundJobsDashboard({ manager }));
  return app;
}

// Megabytes of params, results and messages go through Redis: a loaded machine takes several times the 3 s it
// needs on a quiet one.
jest.setTimeout(60_000);

describe('reads on a Redis store', () => {
  useRedisStore();

  test('getBackgroundJobs and findByUUID read no job params: listing 4 MB of them sends a small fraction', async () => {
    const { worker, web } = twoInstances();
    const big = 'p'.repeat(MB);
    const jobs = await Promise.all([1, 2, 3, 4].map((n) => worker.execute('Logs.Ignore', [big], `k${n}`)));
    await worker.waitForCompletion(jobs);
    const bytes = await bytesSent(web, async () => {
      const listed = await web.getBackgroundJobs();
      expect(listed.map((job) => [job.uuid, job.state])).toEqual(
        jobs.map((job) => [job.uuid, BackgroundJobState.Completed]),
      );
      expect(await web.getBackgroundJobs({ state: BackgroundJobState.Active })).toEqual([]);
      expect((await web.findByUUID(jobs[2]!.uuid))?.key).toBe('k3');
    });
    expect(bytes).toBeLessThan(SMALL_READ);
  });

  test("the dashboard's list reads summaries and its details one page of messages, not params, results or whole logs", async () => {
    const { worker, web } = twoInstances();
    const big = 'p'.repeat(MB);
    const echoed = await worker.execute('Reports.Echo', [big]); // 1 MB of params and 1 MB of result
    const talkative = await worker.execute('Logs.Many', [2000, 500]); // 1 MB of messages
    await worker.waitForCompletion([echoed, talkative]);
    const app = dashboardOf(web);
    const list = await bytesSent(web, async () => {
      const { body } = await request(app).get('/jobs/api/jobs').expect(200);
      expect(body.jobs.map((job: { uuid: string }) => job.uuid)).toEqual([talkative.uuid, echoed.uuid]);
      expect(body.jobs[0]).not.toHaveProperty('messages');
    });
    expect(list).toBeLessThan(SMALL_READ);
    const details = await bytesSent(web, async () => {
      const { body } = await request(app)
        .get(`/jobs/api/jobs/${talkative.uuid}?messagesLimit=10`)
        .expect(200);
      expect(body).toMatchObject({ messagesTotal: 2000, result: 2000 });
      expect(body.messages.map((message: { text: string }) => message.text.replace(/\.+$/, ''))).toEqual([
        '1990',
        '1991',
        '1992',
        '1993',
        '1994',
        '1995',
        '1996',
        '1997',
        '1998',
        '1999',
      ]);
    });
    expect(details).toBeLessThan(SMALL_READ);
  });

  test("a copy's refresh reads only the messages it has not got, and the copy ends with every message in order", async () => {
    const { web } = twoInstances({ checkInterval: 20 });
    const count = 400;
    const size = 2000;
    const job = await web.execute('Logs.Every', [2, count, size]); // 0.8 MB of messages, sent over a second or more
    await eventually(() => expect(job.getUserMessages().length).toBeGreaterThanOrEqual(100), 20_000);
    const taken = job.getUserMessages(true);
    const bytes = await bytesSent(web, () => job.waitForCompletion());
    const texts = [...taken, ...job.getUserMessages()].map((message) => message.text.replace(/\.+$/, ''));
    expect(texts).toEqual(Array.from({ length: count }, (_, n) => String(n)));
    expect(job.getUserMessages().length).toBe(count - taken.length);
    // The rest of the log once (a little over `size` an entry), and a little per re-check; re-reading the whole
    // log at each re-check costs megabytes.
    expect(bytes).toBeLessThan(2 * (count - taken.length) * size + SMALL_READ);
  });

  test('a job written by an earlier version (its name the method, its fields in data) is listed, detailed and run', async () => {
    const { worker, web } = twoInstances();
    const queue = new Queue(web.settings.queueName, { connection: { url: web.settings.store } });
    try {
      const data = {
        methodName: 'Reports.Build',
        params: [3, 'old'],
        key: 'old-key',
        description: 'From before',
        timeoutSeconds: 0,
        executedAt: Date.now(),
      };
      const { id } = await queue.add('Reports.Build', data, {
        jobId: '6f1c1c1e-5b0a-4c5e-9d0e-6a1f2b3c4d5e',
      });
      await eventually(async () => {
        expect((await web.findByUUID(id!))?.state).toBe(BackgroundJobState.Completed);
      });
      const [listed] = await worker.getBackgroundJobs({ key: 'old-key' });
      expect(listed).toMatchObject({
        uuid: id,
        methodName: 'Reports.Build',
        description: 'From before',
        result: '3:old',
      });
      const { body } = await request(dashboardOf(web)).get(`/jobs/api/jobs/${id}`).expect(200);
      expect(body).toMatchObject({ key: 'old-key', state: 'Completed', result: '3:old', messagesTotal: 0 });
    } finally {
      await queue.close();
    }
  });
});
