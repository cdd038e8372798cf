// Adversarial review of issue 18 (long operations from the browser): each test proves a defect found and fixed.
import type { Request } from 'express';
import request from 'supertest';
import { backgroundJobsApi, type Isolation } from 'web-background-jobs';
import { appWithJobs, describeEachIsolation } from '../helpers';

/** An app with the jobs API at /api/jobs; the user is the request's X-User header. */
function apiApp(isolation: Isolation) {
  const { app, manager } = appWithJobs({ isolation });
  app.use(
    '/api/jobs',
    backgroundJobsApi({ methods: ['Jobs.Forever'], owner: (req: Request) => req.get('X-User') }),
  );
  return { app, manager };
}

describeEachIsolation('the jobs API under review', (isolation) => {
  test.each(['/api/jobs/%E0%A4%A', '/api/jobs/%E0%A4%A/events', '/api/jobs/%/cancel'])(
    "a path Express cannot decode (%s) answers 400 WBJ_BAD_ARGUMENT in the API's JSON shape, not an HTML page",
    async (path) => {
      const { app } = apiApp(isolation);
      const method = path.endsWith('/cancel') ? 'post' : 'get';
      const response = await request(app)
        [method](path)
        .set({ 'X-User': 'alice', 'X-Requested-With': 'web-background-jobs' });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body.error).toMatchObject({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringMatching(/^The request is malformed: /),
      });
    },
  );
});

describeEachIsolation('POST / of the jobs API under review', (isolation) => {
  const CSRF = { 'X-Requested-With': 'web-background-jobs', 'X-User': 'alice' };

  test('an unknown query parameter is refused with 400 naming it, as on every other route, and starts nothing', async () => {
    const { app, manager } = apiApp(isolation);
    const response = await request(app)
      .post('/api/jobs?owner=bob')
      .set(CSRF)
      .send({ method: 'Jobs.Forever' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: 'Unknown query parameter "owner"; expected none',
    });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test.each([
    ['null', 'null'],
    ['1', '1'],
    ['"Jobs.Forever"', '"Jobs.Forever"'],
  ])(
    'a body of valid JSON that is not an object (%s) is refused with 400 saying it must be an object, not that it is not JSON',
    async (body, got) => {
      const { app } = apiApp(isolation);
      const response = await request(app)
        .post('/api/jobs')
        .set(CSRF)
        .set('Content-Type', 'application/json')
        .send(body);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('WBJ_BAD_ARGUMENT');
      expect(response.body.error.message).toMatch(/^The body must be a JSON object \{ method, params\?/);
      expect(response.body.error.message).toContain(`got ${got}`);
    },
  );
});

describeEachIsolation('POST / with methods as a function, under review', (isolation) => {
  test.each(['Reports.Nope', 'Nope.Build', 'Reports.a.b', 'Reports.toString', 'Reports./etc'])(
    'a name the function allows that is no handler (%s) is refused with 400 WBJ_BAD_ARGUMENT naming the field, not a 500',
    async (method) => {
      const { app, manager } = appWithJobs({ isolation });
      app.use(
        '/api/jobs',
        backgroundJobsApi({ methods: () => true, owner: (req: Request) => req.get('X-User') }),
      );
      const response = await request(app)
        .post('/api/jobs')
        .set({ 'X-Requested-With': 'web-background-jobs', 'X-User': 'alice' })
        .send({ method });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringContaining(`The body's method ${JSON.stringify(method)} names no handler`),
      });
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );
});

describeEachIsolation('owner(req) of the jobs API as applications write it', (isolation) => {
  const CSRF = { 'X-Requested-With': 'web-background-jobs' };
  /** The user is the X-User header as a number, as `req.user?.id` is in most applications; none without it. */
  function numericOwnerApp(owner: (req: Request) => string | number | null | undefined) {
    const { app, manager } = appWithJobs({ isolation });
    app.use('/api/jobs', backgroundJobsApi({ methods: ['Jobs.Forever'], owner }));
    return { app, manager };
  }

  test('a numeric user id owns its jobs as its decimal string: the same user reads and cancels them, another gets 404', async () => {
    const { app, manager } = numericOwnerApp((req) =>
      req.get('X-User') === undefined ? undefined : Number(req.get('X-User')),
    );
    const started = await request(app)
      .post('/api/jobs')
      .set({ ...CSRF, 'X-User': '42' })
      .send({ method: 'Jobs.Forever' });
    expect(started.status).toBe(202);
    expect(started.body.owner).toBe('42');
    expect((await manager.findByUUID(started.body.uuid))?.owner).toBe('42');
    expect((await request(app).get(`/api/jobs/${started.body.uuid}`).set('X-User', '7')).status).toBe(404);
    const canceled = await request(app)
      .post(`/api/jobs/${started.body.uuid}/cancel`)
      .set({ ...CSRF, 'X-User': '42' });
    expect(canceled.status).toBe(202);
    expect(canceled.body.state).toBe('Canceled');
  });

  test('owner(req) answering null (no signed-in user) is refused with 401 WBJ_UNAUTHENTICATED and starts nothing', async () => {
    const { app, manager } = numericOwnerApp(() => null);
    const response = await request(app).post('/api/jobs').set(CSRF).send({ method: 'Jobs.Forever' });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('WBJ_UNAUTHENTICATED');
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test("an owner id over 256 characters is the application's error (WBJ_CONFIG naming it), not a 400 blaming the browser", async () => {
    const { app, manager } = numericOwnerApp(() => 'u'.repeat(257));
    const response = await request(app).post('/api/jobs').set(CSRF).send({ method: 'Jobs.Forever' });
    expect(response.status).toBe(500);
    // Handed to the application's error handler, as every WBJ_CONFIG of the router is (Express's default shows it).
    expect(response.text).toMatch(/owner\(req\) must return the user&#39;s id as a string of at most 256/);
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });
});
