import request from 'supertest';
import {
  backgroundJobsDashboard,
  type BackgroundJobsDashboardOptions,
  type BackgroundJobsManager,
  BackgroundJobState,
  type Isolation,
} from 'web-background-jobs';
import { appWithJobs, describeEachIsolation } from '../helpers';

// The dashboard's Scheduled jobs tab API: the list with the schedule in words, next and last run; switching use and
// running one now; the runs of one scheduled job in the jobs list.

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const NBSP = '\u00a0';

async function dashboard(isolation: Isolation, options: BackgroundJobsDashboardOptions = {}) {
  const { app, manager } = appWithJobs({ isolation });
  app.use('/jobs', backgroundJobsDashboard(options));
  const token = (await request(app).get('/jobs/api/csrf-token').expect(200)).body.token as string;
  return { app, manager, token };
}

/** A scheduled job every day every 1,800 seconds, written. */
async function halfHourly(manager: BackgroundJobsManager, name = 'Mailing', method = 'Reports.Build') {
  const job = manager.scheduledJobs.create({
    name,
    methodName: method,
    params: [7, 'mail'],
    key: `${name}-key`,
    description: `${name} of reports`,
    schedule: { ПериодПовтораДней: 1, ПериодПовтораВТечениеДня: 1800 },
  });
  await job.write();
  return job;
}

describeEachIsolation('the dashboard lists and drives scheduled jobs', (isolation) => {
  test('GET /api/scheduled-jobs lists each with its schedule in words (English, or Russian for ?lang=ru), use, next and last run', async () => {
    const { app, manager } = await dashboard(isolation);
    const scheduled = await halfHourly(manager);
    const run = await scheduled.runNow();
    await run.waitForCompletion();
    const { body } = await request(app).get('/jobs/api/scheduled-jobs').expect(200);
    expect(body.scheduledJobs).toEqual([
      {
        uuid: scheduled.uuid,
        name: 'Mailing',
        methodName: 'Reports.Build',
        key: 'Mailing-key',
        description: 'Mailing of reports',
        use: true,
        predefined: false,
        schedule: 'Every day; every 1,800 seconds',
        nextRun: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastRun: {
          uuid: run.uuid,
          state: 'Completed',
          begin: run.begin!.toISOString(),
          end: run.end!.toISOString(),
        },
      },
    ]);
    const nextRun = new Date(body.scheduledJobs[0].nextRun).getTime();
    expect(nextRun).toBeGreaterThan(Date.now() - 1000);
    expect(nextRun).toBeLessThanOrEqual(Date.now() + 1800 * 1000);
    const russian = await request(app).get('/jobs/api/scheduled-jobs?lang=ru').expect(200);
    expect(russian.body.scheduledJobs[0].schedule).toBe(`Каждый день; каждые 1${NBSP}800 секунд`);
    const accepted = await request(app)
      .get('/jobs/api/scheduled-jobs')
      .set('Accept-Language', 'ru-RU,ru;q=0.9')
      .expect(200);
    expect(accepted.body.scheduledJobs[0].schedule).toBe(`Каждый день; каждые 1${NBSP}800 секунд`);
  });

  test('a scheduled job never run has no last run', async () => {
    const { app, manager } = await dashboard(isolation);
    await halfHourly(manager);
    const { body } = await request(app).get('/jobs/api/scheduled-jobs').expect(200);
    expect(body.scheduledJobs[0].lastRun).toBeNull();
  });

  test('POST /api/scheduled-jobs/:uuid/use switches use off and on, written to the store; off, it has no next run', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const scheduled = await halfHourly(manager);
    const off = await request(app)
      .post(`/jobs/api/scheduled-jobs/${scheduled.uuid}/use`)
      .set('X-CSRF-Token', token)
      .send({ use: false })
      .expect(200);
    expect(off.body).toMatchObject({ uuid: scheduled.uuid, use: false, nextRun: null });
    expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(false);
    const on = await request(app)
      .post(`/jobs/api/scheduled-jobs/${scheduled.uuid}/use`)
      .set('X-CSRF-Token', token)
      .send({ use: true })
      .expect(200);
    expect(on.body).toMatchObject({ use: true, nextRun: expect.any(String) });
    expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(true);
  });

  test.each([
    [{ use: 'no' }, /got use "no"/],
    [{}, /got use undefined/],
    [{ use: true, name: 'x' }, /got an unknown field "name"/],
    [[true], /\{ "use": true \}/],
  ])('POST …/use with the body %j answers 400 naming what was expected', async (body, message) => {
    const { app, manager, token } = await dashboard(isolation);
    const scheduled = await halfHourly(manager);
    const answer = await request(app)
      .post(`/jobs/api/scheduled-jobs/${scheduled.uuid}/use`)
      .set('X-CSRF-Token', token)
      .send(body as object)
      .expect(400);
    expect(answer.body).toEqual({ code: 'WBJ_BAD_ARGUMENT', error: expect.stringMatching(message) });
    expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(true);
  });

  test('POST …/use with a body that is not JSON answers 400, with no body 400', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const scheduled = await halfHourly(manager);
    const path = `/jobs/api/scheduled-jobs/${scheduled.uuid}/use`;
    const broken = await request(app)
      .post(path)
      .set({ 'X-CSRF-Token': token, 'Content-Type': 'application/json' })
      .send('{"use": fal')
      .expect(400);
    expect(broken.body).toMatchObject({ code: 'WBJ_BAD_ARGUMENT', error: /malformed/ });
    const none = await request(app).post(path).set('X-CSRF-Token', token).expect(400);
    expect(none.body.code).toBe('WBJ_BAD_ARGUMENT');
  });

  test('POST /api/scheduled-jobs/:uuid/run starts a run now: 201, Location, the run names its scheduled job', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const scheduled = await halfHourly(manager);
    const { body, headers } = await request(app)
      .post(`/jobs/api/scheduled-jobs/${scheduled.uuid}/run`)
      .set('X-CSRF-Token', token)
      .expect(201);
    expect(body).toMatchObject({ methodName: 'Reports.Build', key: 'Mailing-key', scheduledJob: 'Mailing' });
    expect(headers.location).toBe(`/jobs/api/jobs/${body.uuid}`);
    const run = (await manager.findByUUID(body.uuid))!;
    await run.waitForCompletion();
    expect(run.result).toBe('7:mail');
    const listed = (await request(app).get('/jobs/api/scheduled-jobs').expect(200)).body.scheduledJobs[0];
    expect(listed.lastRun).toMatchObject({ uuid: run.uuid, state: 'Completed' });
  });

  test('run now while the previous run is active answers 409 WBJ_PREVIOUS_RUN_ACTIVE and starts nothing', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const scheduled = await halfHourly(manager, 'Endless', 'Jobs.Forever');
    const first = await scheduled.runNow();
    const { body } = await request(app)
      .post(`/jobs/api/scheduled-jobs/${scheduled.uuid}/run`)
      .set('X-CSRF-Token', token)
      .expect(409);
    expect(body.code).toBe('WBJ_PREVIOUS_RUN_ACTIVE');
    expect((await manager.getBackgroundJobs()).map((job) => job.uuid)).toEqual([first.uuid]);
    expect(first.state).toBe(BackgroundJobState.Active);
  });

  test('GET /api/jobs?scheduledJob=<uuid> lists the runs of that scheduled job only', async () => {
    const { app, manager } = await dashboard(isolation);
    const mailing = await halfHourly(manager);
    const other = await halfHourly(manager, 'Cleanup');
    const runs = [await mailing.runNow()];
    await runs[0]!.waitForCompletion();
    runs.push(await mailing.runNow());
    const unrelated = [await other.runNow(), await manager.execute('Reports.Build', [1])];
    await manager.waitForCompletion([...runs, ...unrelated]);
    const { body } = await request(app).get(`/jobs/api/jobs?scheduledJob=${mailing.uuid}`).expect(200);
    expect(body.jobs.map((job: { uuid: string }) => job.uuid)).toEqual([runs[1]!.uuid, runs[0]!.uuid]);
  });

  test('an unknown scheduled job answers 404 on each route, a malformed uuid 400', async () => {
    const { app, token } = await dashboard(isolation);
    for (const [path, body] of [
      [`/jobs/api/scheduled-jobs/${UNKNOWN}/use`, { use: false }],
      [`/jobs/api/scheduled-jobs/${UNKNOWN}/run`, undefined],
    ] as const) {
      const answer = await request(app).post(path).set('X-CSRF-Token', token).send(body).expect(404);
      expect(answer.body).toMatchObject({ code: 'WBJ_NOT_FOUND', error: expect.stringContaining(UNKNOWN) });
    }
    const malformed = await request(app)
      .post('/jobs/api/scheduled-jobs/nope/run')
      .set('X-CSRF-Token', token)
      .expect(400);
    expect(malformed.body.code).toBe('WBJ_BAD_ARGUMENT');
  });
});

describe('the scheduled jobs routes that change something are refused without the CSRF token or when read-only', () => {
  const changes = [
    ['use', { use: false }],
    ['run', undefined],
  ] as const;

  test.each(changes)(
    'POST …/%s without the token, or from another origin, answers 403 and changes nothing',
    async (route, body) => {
      const { app, manager } = await dashboard('inline');
      const scheduled = await halfHourly(manager);
      const path = `/jobs/api/scheduled-jobs/${scheduled.uuid}/${route}`;
      const refused = await request(app).post(path).send(body).expect(403);
      expect(refused.body).toMatchObject({
        code: 'WBJ_FORBIDDEN',
        error: expect.stringMatching(/cross-site/),
      });
      const token = (await request(app).get('/jobs/api/csrf-token')).body.token as string;
      await request(app)
        .post(path)
        .set({ 'X-CSRF-Token': token, Origin: 'https://evil.example' })
        .send(body)
        .expect(403);
      expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(true);
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );

  test.each(changes)(
    'POST …/%s does not exist on a read-only dashboard (404); the list does',
    async (route, body) => {
      const { app, manager, token } = await dashboard('inline', { readOnly: true });
      const scheduled = await halfHourly(manager);
      await request(app)
        .post(`/jobs/api/scheduled-jobs/${scheduled.uuid}/${route}`)
        .set('X-CSRF-Token', token)
        .send(body)
        .expect(404);
      expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(true);
      expect(await manager.getBackgroundJobs()).toEqual([]);
      const { body: list } = await request(app).get('/jobs/api/scheduled-jobs').expect(200);
      expect(list.scheduledJobs.map((job: { name: string }) => job.name)).toEqual(['Mailing']);
    },
  );
});
