import express, { type Request } from 'express';
import request from 'supertest';
import {
  type BackgroundJobsDashboardOptions,
  backgroundJobsDashboard,
  BackgroundJobState,
  type Isolation,
} from 'web-background-jobs';
import { appWithJobs, describeEachIsolation, eventually, HANDLERS, listen } from '../helpers';

/** An app with the middleware and the dashboard at /jobs; `manager` is the app's. */
function dashboardApp(isolation: Isolation, options: BackgroundJobsDashboardOptions = {}) {
  const { app, manager } = appWithJobs({ isolation });
  app.use('/jobs', backgroundJobsDashboard(options));
  return { app, manager };
}

async function csrfToken(app: express.Express): Promise<string> {
  return (await request(app).get('/jobs/api/csrf-token').expect(200)).body.token;
}

describeEachIsolation('the jobs dashboard API', (isolation) => {
  test('GET /api/jobs lists jobs newest first with their state, timing and progress', async () => {
    const { app, manager } = dashboardApp(isolation);
    const first = await manager.execute('Reports.Build', [1, 'a'], 'K1', 'First');
    await first.waitForCompletion();
    const running = await manager.execute('Jobs.ProgressThenWait', [30, 'a third'], 'K2', 'Second');
    await eventually(() => expect(running.progress?.percent).toBe(30));
    const { body } = await request(app).get('/jobs/api/jobs').expect(200);
    expect(body).toMatchObject({ total: 2, offset: 0, limit: 50 });
    expect(body.jobs.map((job: { uuid: string }) => job.uuid)).toEqual([running.uuid, first.uuid]);
    expect(body.jobs[1]).toMatchObject({
      methodName: 'Reports.Build',
      key: 'K1',
      description: 'First',
      state: 'Completed',
      begin: first.begin!.toISOString(),
      end: first.end!.toISOString(),
      durationMs: first.end!.getTime() - first.begin!.getTime(),
      error: null,
    });
    expect(body.jobs[0]).toMatchObject({
      state: 'Active',
      end: null,
      progress: { percent: 30, text: 'a third', date: running.progress!.date.toISOString() },
    });
  });

  test('a run of a scheduled job names its scheduled job in the list and in the details', async () => {
    const { app, manager } = dashboardApp(isolation);
    const scheduled = manager.scheduledJobs.create({
      name: 'Nightly',
      methodName: 'Reports.Build',
      params: [1, 'n'],
      schedule: { cron: '0 0 1 1 *', timezone: 'UTC' },
    });
    await scheduled.write();
    const run = await scheduled.runNow();
    const executed = await manager.execute('Reports.Build', [2, 'e']);
    await manager.waitForCompletion([run, executed]);
    const { body } = await request(app).get('/jobs/api/jobs').expect(200);
    expect(body.jobs.map((job: { scheduledJob: string | null }) => job.scheduledJob)).toEqual([
      null,
      'Nightly',
    ]);
    const details = await request(app).get(`/jobs/api/jobs/${run.uuid}`).expect(200);
    expect(details.body).toMatchObject({ scheduledJob: 'Nightly', result: '1:n' });
  });

  test('GET /api/jobs filters by state (any case, or its 1C name), key, methodName, description and text, and pages', async () => {
    const { app, manager } = dashboardApp(isolation);
    const jobs = [];
    for (let n = 0; n < 5; n += 1)
      jobs.push(await manager.execute('Reports.Echo', [n], `key-${n}`, `Report ${n}`));
    const failed = await manager.execute('Jobs.Fail', ['broken'], 'bad');
    await manager.waitForExecutionCompletion([...jobs, failed]);
    const get = async (query: string) => (await request(app).get(`/jobs/api/jobs?${query}`).expect(200)).body;
    expect((await get('state=Failed')).jobs).toEqual([
      expect.objectContaining({ uuid: failed.uuid, error: 'broken' }),
    ]);
    for (const name of ['failed', 'FAILED', 'ЗавершеноАварийно', 'завершеноаварийно'])
      expect(
        (await get(`state=${encodeURIComponent(name)}`)).jobs.map((job: { uuid: string }) => job.uuid),
      ).toEqual([failed.uuid]);
    expect((await get('key=key-3')).jobs.map((job: { key: string }) => job.key)).toEqual(['key-3']);
    expect((await get('methodName=reports.echo')).total).toBe(5);
    expect((await get('description=Report%201')).total).toBe(1);
    expect((await get('q=REPORT')).total).toBe(5);
    expect((await get(`q=${failed.uuid.slice(0, 8)}`)).total).toBe(1);
    const page = await get('offset=1&limit=2');
    expect(page).toMatchObject({ total: 6, offset: 1, limit: 2 });
    expect(page.jobs.map((job: { key: string }) => job.key)).toEqual(['key-4', 'key-3']);
  });

  test.each([
    ['state=Done', /state/],
    ['limit=0', /limit must be an integer from 1 to 500, got "0"/],
    ['offset=-1', /offset must be an integer/],
    ['colour=red', /Unknown query parameter "colour"/],
    ['key=a&key=b', /"key" must be given once/],
  ])('GET /api/jobs?%s is refused with 400 and a message naming the value', async (query, message) => {
    const { app } = dashboardApp(isolation);
    const { body } = await request(app).get(`/jobs/api/jobs?${query}`).expect(400);
    expect(body).toMatchObject({ code: 'WBJ_BAD_ARGUMENT', error: expect.stringMatching(message) });
  });

  test('GET /api/jobs/:uuid shows every field, messages, progress, result and errorInfo', async () => {
    const { app, manager } = dashboardApp(isolation);
    const done = await manager.execute('Jobs.Messages', ['one', 'two']);
    const failed = await manager.execute('Jobs.Fail', ['Деление на 0']);
    await manager.waitForExecutionCompletion([done, failed]);
    const shown = (await request(app).get(`/jobs/api/jobs/${done.uuid}`).expect(200)).body;
    expect(shown).toMatchObject({ uuid: done.uuid, state: 'Completed', result: 2, errorInfo: null });
    expect(shown.messages.map((item: { text: string }) => item.text)).toEqual(['one', 'two']);
    const error = (await request(app).get(`/jobs/api/jobs/${failed.uuid}`).expect(200)).body.errorInfo;
    expect(error).toMatchObject({
      description: 'Деление на 0',
      moduleName: 'Jobs.js',
      lineNumber: expect.any(Number),
    });
    expect(error.sourceLine).toContain('throw new Error(text)');
  });

  test('errorInfo shows handler files relative to the handlers folder and hides every other path', async () => {
    const { app, manager } = dashboardApp(isolation);
    const failed = await manager.execute('Jobs.Fail', ['where?']);
    await failed.waitForCompletion().catch(() => undefined);
    const text = JSON.stringify((await request(app).get(`/jobs/api/jobs/${failed.uuid}`).expect(200)).body);
    expect(failed.errorInfo!.stack).toContain(HANDLERS); // the job itself keeps the full stack…
    expect(text).not.toContain(HANDLERS); // …the dashboard does not show it
    expect(text).not.toContain(process.cwd());
    expect(text).toMatch(/\(Jobs\.js:\d+:\d+\)/);
    expect(text).toContain('(<outside the handlers folder>)');
  });

  test('GET /api/jobs/:uuid answers 404 for an unknown job and a coded 400 for a malformed uuid, percent-encoding included', async () => {
    const { app } = dashboardApp(isolation);
    const missing = await request(app).get('/jobs/api/jobs/00000000-0000-4000-8000-000000000000').expect(404);
    expect(missing.body.code).toBe('WBJ_NOT_FOUND');
    expect((await request(app).get('/jobs/api/jobs/nope').expect(400)).body.code).toBe('WBJ_BAD_ARGUMENT');
    const undecodable = await request(app).get('/jobs/api/jobs/%E0%A4%A').expect(400);
    expect(undecodable.body).toEqual({
      code: 'WBJ_BAD_ARGUMENT',
      error: expect.stringMatching(/^The request is malformed: .*'%E0%A4%A'/),
    });
  });

  test('POST /api/jobs/:uuid/cancel with the CSRF token cancels the job', async () => {
    const { app, manager } = dashboardApp(isolation);
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(app);
    const { body } = await request(app)
      .post(`/jobs/api/jobs/${job.uuid}/cancel`)
      .set('X-CSRF-Token', token)
      .expect(200);
    expect(body.state).toBe('Canceled');
    expect(job.state).toBe(BackgroundJobState.Canceled);
  });
});

describe('the jobs dashboard is secure by default', () => {
  test('authorize(req) decides instead of the loopback rule, for the page and every route', async () => {
    const allow: BackgroundJobsDashboardOptions['authorize'] = (req: Request) =>
      req.headers['x-user'] === 'admin';
    const { app } = dashboardApp('inline', { authorize: allow });
    await request(app)
      .get('/jobs/api/jobs')
      .set('X-Forwarded-For', '203.0.113.7')
      .set('X-User', 'admin')
      .expect(200);
    const denied = await request(app).get('/jobs/api/jobs').set('X-User', 'guest').expect(403);
    expect(denied.body.error).toMatch(/authorize\(req\) option did not return true/);
    await request(app).get('/jobs/').set('X-User', 'guest').expect(403);
  });

  test('an async authorize is awaited', async () => {
    const { app } = dashboardApp('inline', { authorize: async () => true });
    await request(app).get('/jobs/api/jobs').set('X-Forwarded-For', '203.0.113.7').expect(200);
  });

  test.each([
    ['no token', (): Record<string, string> => ({})],
    ['a wrong token', () => ({ 'X-CSRF-Token': 'f'.repeat(64) })],
    ['another origin', (token: string) => ({ 'X-CSRF-Token': token, Origin: 'https://evil.example' })],
    ['an opaque origin', (token: string) => ({ 'X-CSRF-Token': token, Origin: 'null' })],
  ])('cancel with %s is refused with 403 and the job runs on', async (_case, headers) => {
    const { app, manager } = dashboardApp('inline');
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(app);
    const { body } = await request(app)
      .post(`/jobs/api/jobs/${job.uuid}/cancel`)
      .set(headers(token))
      .expect(403);
    expect(body).toMatchObject({ code: 'WBJ_FORBIDDEN', error: expect.stringMatching(/cross-site/) });
    expect(job.state).toBe(BackgroundJobState.Active);
  });

  test('cancel from the same origin (as the page sends it) is accepted', async () => {
    const { app, manager } = dashboardApp('inline');
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(app);
    const server = await listen(app);
    const { port } = server.address() as { port: number };
    try {
      await request(server)
        .post(`/jobs/api/jobs/${job.uuid}/cancel`)
        .set({ 'X-CSRF-Token': token, Origin: `http://127.0.0.1:${port}` })
        .expect(200);
      expect(job.state).toBe(BackgroundJobState.Canceled);
    } finally {
      server.close();
    }
  });

  test('cancel is a POST: GET does not cancel', async () => {
    const { app, manager } = dashboardApp('inline');
    const job = await manager.execute('Jobs.Forever');
    await request(app).get(`/jobs/api/jobs/${job.uuid}/cancel`).expect(404);
    expect(job.state).toBe(BackgroundJobState.Active);
  });

  test('readOnly removes the cancel route and the page says so', async () => {
    const { app, manager } = dashboardApp('inline', { readOnly: true });
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(app);
    await request(app).post(`/jobs/api/jobs/${job.uuid}/cancel`).set('X-CSRF-Token', token).expect(404);
    expect(job.state).toBe(BackgroundJobState.Active);
    const page = await request(app).get('/jobs/').expect(200);
    expect(page.text).toContain('"readOnly":true');
  });

  test('the page is served with a nonce-based Content-Security-Policy and refuses framing', async () => {
    const { app } = dashboardApp('inline');
    const page = await request(app).get('/jobs/').expect(200).expect('Content-Type', /html/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers['content-security-policy'])![1];
    expect(page.text).toContain(`<script nonce="${nonce}">`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  test('the page speaks Russian for ?lang=ru or a Russian Accept-Language, English otherwise', async () => {
    const { app } = dashboardApp('inline');
    expect((await request(app).get('/jobs/?lang=ru').expect(200)).text).toContain(
      '<title>Фоновые задания</title>',
    );
    const accept = await request(app)
      .get('/jobs/')
      .set('Accept-Language', 'ru-RU,ru;q=0.9,en;q=0.5')
      .expect(200);
    expect(accept.text).toContain('<html lang="ru">');
    expect((await request(app).get('/jobs/').expect(200)).text).toContain('<title>Background jobs</title>');
  });

  test('a job description with markup is never markup in the page: the API returns it as data, the page renders it as text', async () => {
    const { app, manager } = dashboardApp('inline');
    await manager.execute('Reports.Echo', [], '', '<script>alert(1)</script>');
    const page = await request(app).get('/jobs/').expect(200);
    expect(page.text).not.toContain('alert(1)'); // job data is not in the page; the script fetches it
    const { body } = await request(app).get('/jobs/api/jobs').expect(200);
    expect(body.jobs[0].description).toBe('<script>alert(1)</script>');
  });

  test('without a manager the dashboard says to mount backgroundJobs() first', async () => {
    const app = express();
    app.use('/jobs', backgroundJobsDashboard());
    const { body } = await request(app).get('/jobs/api/jobs').expect(500);
    expect(body.error).toMatch(/mount backgroundJobs\(\) before it/);
  });

  test.each([
    [{ authorize: 'yes' }, /authorize option must be a function/],
    [{ readOnly: 1 }, /readOnly option must be true or false/],
    [{ manager: {} }, /manager option must be a BackgroundJobsManager/],
    [{ colour: 'red' }, /Unknown dashboard option "colour"/],
  ])('option %p is refused with WBJ_CONFIG', (options, message) => {
    expect(() => backgroundJobsDashboard(options as never)).toThrow(
      expect.objectContaining({ code: 'WBJ_CONFIG', message: expect.stringMatching(message) }),
    );
  });
});
