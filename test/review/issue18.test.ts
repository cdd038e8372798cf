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
