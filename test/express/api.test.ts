import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Request } from 'express';
import request from 'supertest';
import {
  backgroundJobsApi,
  type BackgroundJobsApiOptions,
  BackgroundJobState,
  type Isolation,
} from 'web-background-jobs';
import { appWithJobs, createManager, describeEachIsolation, ROOT } from '../helpers';
import { freePort } from '../redisServer';

const ALLOWED = ['Reports.Build', 'Jobs.Sleep', 'Jobs.Forever', 'Jobs.Fail'];
const CSRF = { 'X-Requested-With': 'web-background-jobs' };
const UNKNOWN = '0e4a9d5c-4c1e-4d3a-9f0e-3f5b6a7c8d9e';

/** An app with the middleware and the jobs API at /api/jobs; the user is the request's X-User header. */
function apiApp(isolation: Isolation, options: Partial<BackgroundJobsApiOptions> = {}) {
  const { app, manager } = appWithJobs({ isolation });
  app.use(
    '/api/jobs',
    backgroundJobsApi({ methods: ALLOWED, owner: (req: Request) => req.get('X-User'), ...options }),
  );
  return { app, manager };
}

/** POST /api/jobs as the browser client sends it, for `user`. */
function start(app: ReturnType<typeof apiApp>['app'], body: object, user = 'alice') {
  return request(app).post('/api/jobs').set(CSRF).set('X-User', user).send(body);
}

describeEachIsolation('the jobs API', (isolation) => {
  test("POST / starts an allowed method for the request's owner: 202, Location of the job, the job as JSON", async () => {
    const { app, manager } = apiApp(isolation);
    const response = await start(app, {
      method: 'Reports.Build',
      params: [5, 'r'],
      key: 'k',
      description: 'Report',
    });
    expect(response.status).toBe(202);
    const { uuid } = response.body;
    expect(response.headers.location).toBe(`/api/jobs/${uuid}`);
    expect(response.body).toMatchObject({
      methodName: 'Reports.Build',
      key: 'k',
      description: 'Report',
      owner: 'alice',
    });
    const job = (await manager.findByUUID(uuid))!;
    await job.waitForCompletion();
    expect(job.owner).toBe('alice');
    expect(job.result).toBe('5:r');
  });

  test('GET /:uuid answers the job as toJSON() sends it', async () => {
    const { app, manager } = apiApp(isolation);
    const { uuid } = (await start(app, { method: 'Reports.Build', params: [1, 'a'] }).expect(202)).body;
    await (await manager.findByUUID(uuid))!.waitForCompletion();
    const { body } = await request(app).get(`/api/jobs/${uuid}`).set('X-User', 'alice').expect(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(await manager.findByUUID(uuid))));
    expect(body).toMatchObject({ state: 'Completed', result: '1:a', messages: [] });
  });

  test('GET /:uuid?wait=30 answers as soon as the job ends, long before the wait passes', async () => {
    const { app } = apiApp(isolation);
    const { uuid } = (await start(app, { method: 'Jobs.Sleep', params: [300] }).expect(202)).body;
    const asked = Date.now();
    const { body } = await request(app).get(`/api/jobs/${uuid}?wait=30`).set('X-User', 'alice').expect(200);
    expect(body).toMatchObject({ state: 'Completed', result: 300 });
    expect(Date.now() - asked).toBeLessThan(20_000);
  });

  test('GET /:uuid?wait answers the job still Active when the wait passes first', async () => {
    const { app } = apiApp(isolation);
    const { uuid } = (await start(app, { method: 'Jobs.Forever' }).expect(202)).body;
    const { body } = await request(app).get(`/api/jobs/${uuid}?wait=0.2`).set('X-User', 'alice').expect(200);
    expect(body).toMatchObject({ uuid, state: 'Active' });
  });

  test("POST /:uuid/cancel cancels the owner's job: 202 with the job Canceled", async () => {
    const { app, manager } = apiApp(isolation);
    const { uuid } = (await start(app, { method: 'Jobs.Forever' }).expect(202)).body;
    const { body } = await request(app)
      .post(`/api/jobs/${uuid}/cancel`)
      .set(CSRF)
      .set('X-User', 'alice')
      .expect(202);
    expect(body).toMatchObject({ uuid, state: 'Canceled' });
    expect((await manager.findByUUID(uuid))!.state).toBe(BackgroundJobState.Canceled);
  });

  test("another owner's job answers 404 on every route, with the body of a job that does not exist", async () => {
    const { app, manager } = apiApp(isolation);
    const { uuid } = (await start(app, { method: 'Jobs.Forever' }, 'alice').expect(202)).body;
    const answers = await Promise.all(
      [uuid, UNKNOWN].flatMap((each) => [
        request(app).get(`/api/jobs/${each}`).set('X-User', 'mallory'),
        request(app).get(`/api/jobs/${each}?wait=1`).set('X-User', 'mallory'),
        request(app).get(`/api/jobs/${each}/events`).set('X-User', 'mallory'),
        request(app).post(`/api/jobs/${each}/cancel`).set(CSRF).set('X-User', 'mallory'),
      ]),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('WBJ_NOT_FOUND');
    }
    const texts = answers.map((answer) => answer.body.error.message.replace(uuid, UNKNOWN));
    expect(new Set(texts).size).toBe(1);
    expect((await manager.findByUUID(uuid))!.state).toBe(BackgroundJobState.Active);
  });

  test('a job started on the server without an owner is not found through a router with owners', async () => {
    const { app, manager } = apiApp(isolation);
    const job = await manager.execute('Reports.Build', [1, 'server']);
    await request(app).get(`/api/jobs/${job.uuid}`).set('X-User', 'alice').expect(404);
  });

  test("a key held by the caller's own active job answers 409 with its uuid; another owner's, 409 without it", async () => {
    const { app } = apiApp(isolation);
    const holder = (await start(app, { method: 'Jobs.Forever', key: 'K' }, 'alice').expect(202)).body.uuid;
    const own = await start(app, { method: 'Jobs.Forever', key: 'K' }, 'alice').expect(409);
    expect(own.body.error).toMatchObject({ code: 'WBJ_KEY_CONFLICT', holderUuid: holder });
    const foreign = await start(app, { method: 'Jobs.Forever', key: 'K' }, 'mallory').expect(409);
    expect(foreign.body.error.code).toBe('WBJ_KEY_CONFLICT');
    expect(foreign.body.error).not.toHaveProperty('holderUuid');
    expect(JSON.stringify(foreign.body)).not.toContain(holder);
  });

  test('onKeyConflict "join" in the body answers the caller\'s active job holding the key instead of 409', async () => {
    const { app } = apiApp(isolation);
    const holder = (await start(app, { method: 'Jobs.Forever', key: 'K' }).expect(202)).body.uuid;
    const joined = await start(app, { method: 'Jobs.Forever', key: 'K', onKeyConflict: 'join' }).expect(202);
    expect(joined.body.uuid).toBe(holder);
    expect(joined.headers.location).toBe(`/api/jobs/${holder}`);
  });

  test('onKeyConflict "replace" cancels the caller\'s own holder and starts the new job; "join" or "replace" never reach another owner\'s', async () => {
    const { app, manager } = apiApp(isolation);
    const first = (await start(app, { method: 'Jobs.Forever', key: 'K' }).expect(202)).body.uuid;
    const second = await start(app, { method: 'Jobs.Forever', key: 'K', onKeyConflict: 'replace' }).expect(
      202,
    );
    expect(second.body.uuid).not.toBe(first);
    expect((await manager.findByUUID(first))!.state).toBe(BackgroundJobState.Canceled);
    for (const onKeyConflict of ['join', 'replace']) {
      const foreign = await start(app, { method: 'Jobs.Forever', key: 'K', onKeyConflict }, 'mallory').expect(
        409,
      );
      expect(foreign.body.error).not.toHaveProperty('holderUuid');
    }
    expect((await manager.findByUUID(second.body.uuid))!.state).toBe(BackgroundJobState.Active);
  });
});

describe('the jobs API refuses', () => {
  const isolation = 'inline';

  test('a method off the list with 403 WBJ_FORBIDDEN naming it, and starts nothing', async () => {
    const { app, manager } = apiApp(isolation);
    const { body } = await start(app, { method: 'Jobs.Touch', params: ['x'] }).expect(403);
    expect(body.error).toMatchObject({
      code: 'WBJ_FORBIDDEN',
      message: expect.stringContaining('"Jobs.Touch"'),
    });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test('a method the methods function refuses for this request with 403, and starts one it allows', async () => {
    const { app } = apiApp(isolation, {
      methods: (name: string, req: Request) => name === 'Reports.Build' && req.get('X-Role') === 'reporter',
    });
    await start(app, { method: 'Reports.Build', params: [1] }).expect(403);
    await request(app)
      .post('/api/jobs')
      .set({ ...CSRF, 'X-User': 'alice', 'X-Role': 'reporter' })
      .send({ method: 'Reports.Build', params: [1] })
      .expect(202);
  });

  test('a POST without the X-Requested-With header, or from another origin, with 403', async () => {
    const { app, manager } = apiApp(isolation);
    const missing = await request(app)
      .post('/api/jobs')
      .set('X-User', 'alice')
      .send({ method: 'Reports.Build' });
    expect(missing.status).toBe(403);
    expect(missing.body.error).toMatchObject({
      code: 'WBJ_FORBIDDEN',
      message: expect.stringContaining('X-Requested-With'),
    });
    const foreign = await start(app, { method: 'Reports.Build' }).set('Origin', 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toContain('https://evil.example');
    expect(await manager.getBackgroundJobs()).toEqual([]);
    const job = await manager.execute('Jobs.Forever', [], '', '', { owner: 'alice' });
    await request(app).post(`/api/jobs/${job.uuid}/cancel`).set('X-User', 'alice').expect(403);
    await request(app)
      .post(`/api/jobs/${job.uuid}/cancel`)
      .set({ ...CSRF, 'X-User': 'alice', Origin: 'null' })
      .expect(403);
    expect(job.state).toBe(BackgroundJobState.Active);
  });

  test('a POST from a page of the same origin is served', async () => {
    const { app } = apiApp(isolation);
    const response = await start(app, { method: 'Reports.Build' })
      .set('Host', 'app.example:8080')
      .set('Origin', 'http://app.example:8080');
    expect(response.status).toBe(202);
  });

  test('a request its owner(req) names no user for with 401 WBJ_UNAUTHENTICATED, on every route', async () => {
    const { app } = apiApp(isolation);
    const answers = await Promise.all([
      request(app).post('/api/jobs').set(CSRF).send({ method: 'Reports.Build' }),
      request(app).get(`/api/jobs/${UNKNOWN}`),
      request(app).get(`/api/jobs/${UNKNOWN}/events`).set('X-User', ''),
      request(app).post(`/api/jobs/${UNKNOWN}/cancel`).set(CSRF),
    ]);
    for (const answer of answers)
      expect([answer.status, answer.body.error.code]).toEqual([401, 'WBJ_UNAUTHENTICATED']);
  });

  test('a body over bodyLimit with 413 WBJ_BODY_TOO_LARGE', async () => {
    const { app, manager } = apiApp(isolation, { bodyLimit: 100 });
    const { body } = await start(app, { method: 'Reports.Build', params: ['x'.repeat(200)] }).expect(413);
    expect(body.error).toMatchObject({
      code: 'WBJ_BODY_TOO_LARGE',
      message: expect.stringContaining('100 bytes'),
    });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test('a body over the default limit of 1 MB with 413, and one under it is served', async () => {
    const { app } = apiApp(isolation);
    await start(app, { method: 'Reports.Build', params: [1, 'x'.repeat(1024 * 1024)] }).expect(413);
    await start(app, { method: 'Reports.Build', params: [1, 'x'.repeat(1000 * 1000)] }).expect(202);
  });

  test('an app that mounts express.json() before the router is served and refused as any other', async () => {
    const { app } = appWithJobs({ isolation });
    app.use(express.json());
    app.use('/api/jobs', backgroundJobsApi({ methods: ALLOWED, owner: (req: Request) => req.get('X-User') }));
    await start(app, { method: 'Reports.Build', params: [1] }).expect(202);
    await start(app, { method: 'Reports.Build', extra: 1 }).expect(400);
    await start(app, { method: 'Jobs.Touch' }).expect(403);
  });

  test('a body that is not valid JSON with 400, one that is not JSON at all with 415', async () => {
    const { app } = apiApp(isolation);
    const broken = await request(app)
      .post('/api/jobs')
      .set({ ...CSRF, 'X-User': 'alice', 'Content-Type': 'application/json' })
      .send('{"method": "Reports.Build",');
    expect([broken.status, broken.body.error.code]).toEqual([400, 'WBJ_BAD_ARGUMENT']);
    expect(broken.body.error.message).toContain('not valid JSON');
    const form = await request(app)
      .post('/api/jobs')
      .set({ ...CSRF, 'X-User': 'alice' })
      .type('form')
      .send('method=Reports.Build');
    expect([form.status, form.body.error.code]).toEqual([415, 'WBJ_UNSUPPORTED_MEDIA_TYPE']);
  });

  test.each([
    [{ method: 'Reports.Build', owner: 'bob' }, '"owner"'],
    [{ method: 'Reports.Build', timeoutSeconds: 1 }, '"timeoutSeconds"'],
    [{ params: [1] }, 'method'],
    [{ method: 7 }, 'method'],
    [{ method: 'Reports.Build', params: { 0: 1 } }, 'params'],
    [{ method: 'Reports.Build', key: 5 }, 'key'],
    [{ method: 'Reports.Build', description: null }, 'description'],
    [{ method: 'Reports.Build', onKeyConflict: 'steal' }, 'onKeyConflict'],
    [['Reports.Build'], 'JSON object'],
  ])('the body %j with 400 naming %s', async (sent, named) => {
    const { app, manager } = apiApp(isolation);
    const { body } = await start(app, sent).expect(400);
    expect(body.error).toMatchObject({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringContaining(named) });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test.each(['31', '-1', 'soon', '1e1'])(
    '?wait=%s with 400 naming wait and its limit of 30',
    async (wait) => {
      const { app, manager } = apiApp(isolation);
      const job = await manager.execute('Jobs.Forever', [], '', '', { owner: 'alice' });
      const { body } = await request(app)
        .get(`/api/jobs/${job.uuid}?wait=${wait}`)
        .set('X-User', 'alice')
        .expect(400);
      expect(body.error).toMatchObject({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringContaining('wait'),
      });
      expect(body.error.message).toContain('30');
    },
  );

  test('an unknown query parameter with 400 naming it', async () => {
    const { app, manager } = apiApp(isolation);
    const job = await manager.execute('Jobs.Forever', [], '', '', { owner: 'alice' });
    const { body } = await request(app)
      .get(`/api/jobs/${job.uuid}?wiat=1`)
      .set('X-User', 'alice')
      .expect(400);
    expect(body.error.message).toContain('"wiat"');
  });

  test('a store that cannot be reached with 503 WBJ_STORE_UNAVAILABLE', async () => {
    const { app } = appWithJobs({ isolation });
    const manager = createManager({ store: `redis://127.0.0.1:${await freePort()}` });
    app.use('/api/jobs', backgroundJobsApi({ methods: ALLOWED, owner: false, manager }));
    const { body } = await start(app, { method: 'Reports.Build' }).expect(503);
    expect(body.error.code).toBe('WBJ_STORE_UNAVAILABLE');
  });
});

describe('a jobs API with owner: false', () => {
  test('starts jobs without an owner and lets any request read and cancel them', async () => {
    const { app, manager } = apiApp('inline', { owner: false });
    const { uuid, owner } = (await start(app, { method: 'Jobs.Forever' }).expect(202)).body;
    expect(owner).toBeUndefined();
    await request(app).get(`/api/jobs/${uuid}`).expect(200);
    await request(app).post(`/api/jobs/${uuid}/cancel`).set(CSRF).expect(202);
    expect((await manager.findByUUID(uuid))!.state).toBe(BackgroundJobState.Canceled);
  });

  test('does not show a job another router started for an owner', async () => {
    const { app, manager } = apiApp('inline', { owner: false });
    const job = await manager.execute('Jobs.Forever', [], '', '', { owner: 'alice' });
    await request(app).get(`/api/jobs/${job.uuid}`).expect(404);
  });
});

describe('backgroundJobsApi(options)', () => {
  test.each([
    [{ methods: ['Reports.Build'] }, 'owner: false'],
    [{ owner: false }, 'methods'],
    [{ methods: 'Reports.Build', owner: false }, 'methods'],
    [{ methods: ['Reports'], owner: false }, '"Reports"'],
    [{ methods: [], owner: 'alice' }, 'owner'],
    [{ methods: [], owner: false, bodyLimit: 0 }, 'bodyLimit'],
    [{ methods: [], owner: false, heartbeatSeconds: -1 }, 'heartbeatSeconds'],
    [{ methods: [], owner: false, manager: {} }, 'manager'],
    [{ methods: [], owner: false, readOnly: true }, '"readOnly"'],
  ])('refuses %j with WBJ_CONFIG naming %s', (options, named) => {
    expect(() => backgroundJobsApi(options as unknown as BackgroundJobsApiOptions)).toThrow(
      expect.objectContaining({ code: 'WBJ_CONFIG', message: expect.stringContaining(named) }),
    );
  });
});

describe('GET /client.js', () => {
  const file = path.join(ROOT, 'dist/client/index.js');
  let planted = false;
  beforeAll(() => {
    // The client helper builds dist/client/index.js; until then a stand-in proves the route serves that file.
    if (existsSync(file)) return;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'export const planted = true;\n');
    planted = true;
  });
  afterAll(() => planted && rmSync(path.dirname(file), { recursive: true }));

  test('serves the built browser client as text/javascript, to any request, without a user', async () => {
    const { app } = apiApp('inline');
    const response = await request(app).get('/api/jobs/client.js').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/javascript/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.text.length).toBeGreaterThan(0);
  });
});
