import type { Server } from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import request from 'supertest';
import { backgroundJobsApi, BackgroundJobState, type Isolation } from 'web-background-jobs';
import { appWithJobs, describeEachIsolation, eventually, listen } from '../helpers';
import { named, openStream, type StreamEvent } from './eventStream';

const CSRF = { 'X-Requested-With': 'web-background-jobs' };
const ALICE = { 'X-User': 'alice' };

/** An app with the jobs API at /api/jobs (the user is X-User), served on a loopback port. */
async function servedApi(isolation: Isolation, heartbeatSeconds?: number, maxConcurrency?: number) {
  const { app, manager } = appWithJobs({
    isolation,
    ...(maxConcurrency !== undefined && { maxConcurrency }),
  });
  const responses: WeakRef<object>[] = [];
  app.use((_req, res, next) => {
    responses.push(new WeakRef(res));
    next();
  });
  app.use(
    '/api/jobs',
    backgroundJobsApi({
      methods: ['Logs.Every', 'Jobs.ProgressThenWait', 'Jobs.MessageThenWait', 'Jobs.Forever', 'Jobs.Fail'],
      owner: (req) => req.get('X-User'),
      ...(heartbeatSeconds !== undefined && { heartbeatSeconds }),
    }),
  );
  const server = await listen(app);
  servers.push(server);
  const { port } = server.address() as { port: number };
  const base = `http://127.0.0.1:${port}/api/jobs`;
  const start = async (method: string, params: unknown[] = []): Promise<string> =>
    (
      await request(app)
        .post('/api/jobs')
        .set({ ...CSRF, ...ALICE })
        .send({ method, params })
        .expect(202)
    ).body.uuid;
  return { app, manager, base, start, responses };
}

const servers: Server[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done)))));

const texts = (events: readonly StreamEvent[]) =>
  named(events, 'message').map((each) => (each.data as { text: string }).text);
const ended = (events: readonly StreamEvent[]) => events.some((each) => each.event === 'end');

describeEachIsolation('GET /:uuid/events', (isolation) => {
  test("streams the job's state, its messages as they come with ids counting them, then end with the finished job", async () => {
    const { base, start } = await servedApi(isolation);
    const uuid = await start('Logs.Every', [20, 5]);
    const stream = await openStream(`${base}/${uuid}/events`, ALICE);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toMatch(/no-cache/);
    expect(stream.headers['x-accel-buffering']).toBe('no');
    const events = await stream.until(ended);
    await stream.ended;
    expect(events[0]).toEqual({ id: undefined, event: 'retry', data: 1000 });
    expect(events[1]).toMatchObject({
      id: '0',
      event: 'state',
      data: { uuid, state: 'Active', owner: 'alice' },
    });
    expect(events[1]!.data).not.toHaveProperty('messages');
    const messages = named(events, 'message');
    expect(messages.map((each) => each.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(texts(events)).toEqual(['0', '1', '2', '3', '4']);
    expect(events.at(-1)).toMatchObject({
      id: '5',
      event: 'end',
      data: { uuid, state: 'Completed', result: 5 },
    });
    expect(events.at(-1)!.data).not.toHaveProperty('messages');
  });

  test('streams progress as it is reported, and end when the job is cancelled', async () => {
    const { app, base, start } = await servedApi(isolation);
    const uuid = await start('Jobs.ProgressThenWait', [40, 'half way']);
    const stream = await openStream(`${base}/${uuid}/events`, ALICE);
    const before = await stream.until((events) => named(events, 'progress').length > 0);
    expect(named(before, 'progress')[0]!.data).toEqual({ percent: 40, text: 'half way' });
    await request(app)
      .post(`/api/jobs/${uuid}/cancel`)
      .set({ ...CSRF, ...ALICE })
      .expect(202);
    const events = await stream.until(ended);
    expect(named(events, 'progress')).toHaveLength(1);
    expect(named(events, 'end')[0]!.data).toMatchObject({
      state: 'Canceled',
      progress: { percent: 40, text: 'half way' },
    });
  });

  test('streams a message while the job still runs, not only when it ends', async () => {
    const { manager, base, start } = await servedApi(isolation);
    const uuid = await start('Jobs.MessageThenWait', ['working']);
    const stream = await openStream(`${base}/${uuid}/events`, ALICE);
    const events = await stream.until((received) => named(received, 'message').length > 0);
    expect(named(events, 'message')[0]).toMatchObject({ id: '1', data: { text: 'working' } });
    expect(ended(events)).toBe(false);
    expect((await manager.findByUUID(uuid))!.state).toBe(BackgroundJobState.Active);
    stream.close();
  });

  test("a queued job's stream sends state again when it begins, then its message as it comes", async () => {
    const { app, base, start } = await servedApi(isolation, undefined, 1);
    const blocker = await start('Jobs.Forever');
    const uuid = await start('Jobs.MessageThenWait', ['begun']);
    const stream = await openStream(`${base}/${uuid}/events`, ALICE);
    const queued = await stream.until((events) => named(events, 'state').length > 0);
    expect(named(queued, 'state')[0]!.data).toMatchObject({ state: 'Active' });
    expect(named(queued, 'state')[0]!.data).not.toHaveProperty('begin');
    await request(app)
      .post(`/api/jobs/${blocker}/cancel`)
      .set({ ...CSRF, ...ALICE })
      .expect(202);
    const events = await stream.until((received) => named(received, 'message').length > 0);
    expect(named(events, 'state')).toHaveLength(2);
    expect(named(events, 'state')[1]!.data).toMatchObject({ state: 'Active', begin: expect.any(String) });
    expect(named(events, 'message')[0]).toMatchObject({ id: '1', data: { text: 'begun' } });
    expect(ended(events)).toBe(false);
    stream.close();
  });

  test('a finished job streams its state, its messages and end at once, and the server ends the response', async () => {
    const { manager, base, start } = await servedApi(isolation);
    const uuid = await start('Jobs.Fail', ['broken']);
    await (await manager.findByUUID(uuid))!.waitForExecutionCompletion();
    const stream = await openStream(`${base}/${uuid}/events`, ALICE);
    await stream.ended;
    expect(stream.received.map((each) => each.event)).toEqual(['retry', 'state', 'end']);
    expect(stream.received[2]!.data).toMatchObject({
      state: 'Failed',
      errorInfo: { description: 'broken' },
    });
  });

  test('a reconnect with Last-Event-ID (or ?lastEventId) resumes at that message: none lost, none repeated', async () => {
    const { base, start } = await servedApi(isolation);
    const uuid = await start('Logs.Every', [30, 12]);
    const first = await openStream(`${base}/${uuid}/events`, ALICE);
    const early = await first.until((events) => named(events, 'message').length >= 3);
    first.close();
    const lastId = early.filter((each) => each.id !== undefined).at(-1)!.id!;
    expect(lastId).toBe(String(named(early, 'message').length));
    const second = await openStream(`${base}/${uuid}/events`, { ...ALICE, 'Last-Event-ID': lastId });
    const rest = await second.until(ended);
    expect(rest[1]).toMatchObject({ id: lastId, event: 'state' });
    expect([...texts(early), ...texts(rest)]).toEqual(Array.from({ length: 12 }, (_, n) => String(n)));
    const byQuery = await openStream(`${base}/${uuid}/events?lastEventId=10`, ALICE);
    expect(texts(await byQuery.until(ended))).toEqual(['10', '11']);
  });

  test('a Last-Event-ID that is not a count of messages is refused with 400 naming it', async () => {
    const { app, start } = await servedApi(isolation);
    const uuid = await start('Jobs.Forever');
    const { body } = await request(app)
      .get(`/api/jobs/${uuid}/events`)
      .set({ ...ALICE, 'Last-Event-ID': 'abc' })
      .expect(400);
    expect(body.error).toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining('Last-Event-ID'),
    });
  });
});

describe('the event stream over time', () => {
  test('sends a keep-alive comment every heartbeatSeconds while the job runs', async () => {
    const { base, start } = await servedApi('inline', 0.05);
    const uuid = await start('Jobs.Forever');
    const stream = await openStream(`${base}/${uuid}/events`, ALICE);
    const events = await stream.until((received) => named(received, ':').length >= 3);
    expect(named(events, ':')[0]!.data).toBe('keep-alive');
    stream.close();
  });

  test('1,000 streams opened and closed on a running job leave no listener or response behind', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { manager, base, start, responses } = await servedApi('inline', 0.05);
    const uuid = await start('Jobs.Forever');
    const streamed = responses.length;
    for (let batch = 0; batch < 20; batch += 1) {
      const streams = await Promise.all(
        Array.from({ length: 50 }, () => openStream(`${base}/${uuid}/events`, ALICE)),
      );
      await Promise.all(streams.map((stream) => stream.until((events) => named(events, 'state').length > 0)));
      streams.forEach((stream) => stream.close());
    }
    expect(responses.length - streamed).toBe(1000);
    // Every response the streams wrote to is collected once closed: no watcher on the job, nor heartbeat, holds one.
    await eventually(() => {
      gc();
      expect(responses.slice(streamed).filter((each) => each.deref() !== undefined)).toHaveLength(0);
    }, 15_000);
    expect((await manager.findByUUID(uuid))!.state).toBe(BackgroundJobState.Active);
  }, 60_000);
});
