import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { backgroundJobsApi, type BackgroundJobsManager } from 'web-background-jobs';
import { named, openStream, type StreamEvent } from '../express/eventStream';
import { createManager, listen, useRedisStore } from '../helpers';

// The jobs API of a web instance on a Redis store streams a job that another instance runs: the web instance's copy
// of the job is brought up to date from Redis (progress with BullMQ's events, messages with the re-check), and each
// change is streamed as it arrives. A stream cut by a restart of the instance serving it resumes on the next one.

const CSRF = { 'X-Requested-With': 'web-background-jobs' };
const ALICE = { 'X-User': 'alice' };
let queues = 0;
/** A queue of the test's own, shared by its instances. */
const newQueue = (): string => `api-stream-${process.pid}-${(queues += 1)}`;

/** A web-only instance (no worker) with the jobs API, served on a loopback port. */
async function webInstance(
  queueName: string,
): Promise<{ manager: BackgroundJobsManager; server: Server; base: string; app: express.Express }> {
  const manager = createManager({ worker: false, queueName, checkInterval: 100 });
  const app = express();
  app.use(
    '/api/jobs',
    backgroundJobsApi({
      methods: ['Logs.Every', 'Jobs.MessageThenWait', 'Jobs.ProgressThenWait'],
      owner: (req) => req.get('X-User'),
      manager,
    }),
  );
  const server = await listen(app);
  const { port } = server.address() as { port: number };
  return { manager, server, app, base: `http://127.0.0.1:${port}/api/jobs` };
}

const texts = (events: readonly StreamEvent[]) =>
  named(events, 'message').map((each) => (each.data as { text: string }).text);
const ended = (events: readonly StreamEvent[]) => events.some((each) => each.event === 'end');

describe('the jobs API on a Redis store', () => {
  useRedisStore();

  test('streams a job run by another instance: its messages as they come, then end', async () => {
    const queueName = newQueue();
    const runner = createManager({ queueName });
    const web = await webInstance(queueName);
    try {
      const { uuid } = (
        await request(web.app)
          .post('/api/jobs')
          .set({ ...CSRF, ...ALICE })
          .send({ method: 'Logs.Every', params: [50, 8] })
          .expect(202)
      ).body;
      const stream = await openStream(`${web.base}/${uuid}/events`, ALICE);
      const events = await stream.until(ended);
      expect(texts(events)).toEqual(Array.from({ length: 8 }, (_, n) => String(n)));
      expect(named(events, 'message').map((each) => each.id)).toEqual([
        '1',
        '2',
        '3',
        '4',
        '5',
        '6',
        '7',
        '8',
      ]);
      expect(named(events, 'end')[0]!.data).toMatchObject({
        uuid,
        state: 'Completed',
        result: 8,
        owner: 'alice',
      });
      expect((await runner.findByUUID(uuid))!.owner).toBe('alice');
    } finally {
      web.server.close();
    }
  });

  test('streams the progress and the message of a job running on another instance while it runs, and its cancel from this one', async () => {
    const queueName = newQueue();
    const runner = createManager({ queueName });
    const web = await webInstance(queueName);
    try {
      const post = (path: string, body?: object) =>
        request(web.app)
          .post(`/api/jobs${path}`)
          .set({ ...CSRF, ...ALICE })
          .send(body);
      const progressing = (
        await post('', { method: 'Jobs.ProgressThenWait', params: [30, 'a third'] }).expect(202)
      ).body.uuid;
      const messaging = (await post('', { method: 'Jobs.MessageThenWait', params: ['working'] }).expect(202))
        .body.uuid;
      const progress = await openStream(`${web.base}/${progressing}/events`, ALICE);
      const message = await openStream(`${web.base}/${messaging}/events`, ALICE);
      const progressed = await progress.until((events) => named(events, 'progress').length > 0);
      expect(named(progressed, 'progress')[0]!.data).toEqual({ percent: 30, text: 'a third' });
      const messaged = await message.until((events) => named(events, 'message').length > 0);
      expect(named(messaged, 'message')[0]!.data).toMatchObject({ text: 'working' });
      for (const uuid of [progressing, messaging])
        expect((await runner.findByUUID(uuid))!.state).toBe('Active');
      await post(`/${messaging}/cancel`).expect(202);
      expect(named(await message.until(ended), 'end')[0]!.data).toMatchObject({ state: 'Canceled' });
      progress.close();
    } finally {
      web.server.close();
    }
  });

  test('a stream cut by a restart of the instance serving it resumes on the next one with Last-Event-ID: none lost, none repeated', async () => {
    const queueName = newQueue();
    createManager({ queueName });
    const first = await webInstance(queueName);
    const { uuid } = (
      await request(first.app)
        .post('/api/jobs')
        .set({ ...CSRF, ...ALICE })
        .send({ method: 'Logs.Every', params: [100, 10] })
        .expect(202)
    ).body;
    const before = await openStream(`${first.base}/${uuid}/events`, ALICE);
    const early = await before.until((events) => named(events, 'message').length >= 2);
    // The instance goes away while the stream is open, as in a restart: its manager and its server.
    first.server.closeAllConnections();
    first.server.close();
    await first.manager.close({ graceSeconds: 0 });
    await before.ended;
    const lastId = before.received.filter((each) => each.id !== undefined).at(-1)!.id!;
    const second = await webInstance(queueName);
    try {
      const after = await openStream(`${second.base}/${uuid}/events`, { ...ALICE, 'Last-Event-ID': lastId });
      const rest = await after.until(ended);
      expect(early.length).toBeGreaterThan(0);
      expect([...texts(before.received), ...texts(rest)]).toEqual(
        Array.from({ length: 10 }, (_, n) => String(n)),
      );
    } finally {
      second.server.close();
    }
  });
});
