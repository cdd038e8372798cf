import request from 'supertest';
import {
  backgroundJobsDashboard,
  type BackgroundJobsDashboardOptions,
  BackgroundJobState,
  type Isolation,
} from 'web-background-jobs';
import { appWithJobs, describeEachIsolation, eventually } from '../helpers';

// The dashboard's job actions beyond cancel: delete a finished job from history, run a job again; and the counts by
// state in the list's answer.

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function dashboard(isolation: Isolation, options: BackgroundJobsDashboardOptions = {}) {
  const { app, manager } = appWithJobs({ isolation });
  app.use('/jobs', backgroundJobsDashboard(options));
  const token = (await request(app).get('/jobs/api/csrf-token').expect(200)).body.token as string;
  const listed = async (query = '') =>
    (await request(app).get(`/jobs/api/jobs${query}`).expect(200)).body.jobs.map(
      (job: { uuid: string }) => job.uuid,
    );
  return { app, manager, token, listed };
}

describeEachIsolation('the dashboard deletes a finished job from history', (isolation) => {
  test('DELETE /api/jobs/:uuid answers 204; the job is no longer listed nor found, the others stay', async () => {
    const { app, manager, token, listed } = await dashboard(isolation);
    const jobs = [];
    for (const n of [1, 2, 3]) jobs.push(await manager.execute('Reports.Build', [n, 'x']));
    await manager.waitForCompletion(jobs);
    await request(app).delete(`/jobs/api/jobs/${jobs[1]!.uuid}`).set('X-CSRF-Token', token).expect(204);
    expect(await listed()).toEqual([jobs[2]!.uuid, jobs[0]!.uuid]);
    expect(await manager.findByUUID(jobs[1]!.uuid)).toBeUndefined();
    expect(await manager.getBackgroundJobs()).toEqual([jobs[0], jobs[2]]);
    const again = await request(app).get(`/jobs/api/jobs/${jobs[1]!.uuid}`).expect(404);
    expect(again.body.code).toBe('WBJ_NOT_FOUND');
  });

  test('a failed and a cancelled job are deleted too', async () => {
    const { app, manager, token, listed } = await dashboard(isolation);
    const failed = await manager.execute('Jobs.Fail', ['broken']);
    const canceled = await manager.execute('Jobs.Forever');
    await canceled.cancel();
    await manager.waitForExecutionCompletion([failed, canceled]);
    await request(app).delete(`/jobs/api/jobs/${failed.uuid}`).set('X-CSRF-Token', token).expect(204);
    // On Redis a cancelled job's record stays held (409) until its worker has stopped the handler.
    await eventually(async () => {
      await request(app).delete(`/jobs/api/jobs/${canceled.uuid}`).set('X-CSRF-Token', token).expect(204);
    });
    expect(await listed()).toEqual([]);
  });

  test('an active job is refused with 409 WBJ_JOB_ACTIVE naming it, and runs on', async () => {
    const { app, manager, token, listed } = await dashboard(isolation);
    const job = await manager.execute('Jobs.Forever', [], 'held');
    const { body } = await request(app)
      .delete(`/jobs/api/jobs/${job.uuid}`)
      .set('X-CSRF-Token', token)
      .expect(409);
    expect(body).toEqual({
      code: 'WBJ_JOB_ACTIVE',
      error: expect.stringMatching(
        new RegExp(`${job.uuid} of method "Jobs.Forever" is still active .*expected a finished job`),
      ),
    });
    expect(job.state).toBe(BackgroundJobState.Active);
    expect(await listed()).toEqual([job.uuid]);
  });

  test('an unknown job answers 404, a malformed uuid 400', async () => {
    const { app, token } = await dashboard(isolation);
    const missing = await request(app).delete(`/jobs/api/jobs/${UNKNOWN}`).set('X-CSRF-Token', token);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'WBJ_NOT_FOUND', error: expect.stringContaining(UNKNOWN) });
    const malformed = await request(app).delete('/jobs/api/jobs/nope').set('X-CSRF-Token', token).expect(400);
    expect(malformed.body.code).toBe('WBJ_BAD_ARGUMENT');
  });

  test('the history still evicts its oldest job first after a delete', async () => {
    const { app, manager } = appWithJobs({ isolation, historySize: 3 });
    app.use('/jobs', backgroundJobsDashboard());
    const token = (await request(app).get('/jobs/api/csrf-token')).body.token as string;
    const run = async (n: number) => {
      const job = await manager.execute('Reports.Build', [n, 'h']);
      await job.waitForCompletion();
      return job;
    };
    const [a, b, c] = [await run(1), await run(2), await run(3)];
    await request(app).delete(`/jobs/api/jobs/${b.uuid}`).set('X-CSRF-Token', token).expect(204);
    const [d, e] = [await run(4), await run(5)];
    await eventually(async () => expect(await manager.getBackgroundJobs()).toEqual([c, d, e]));
    expect(await manager.findByUUID(a.uuid)).toBeUndefined();
  });
});

describeEachIsolation('the dashboard runs a job again', (isolation) => {
  test('POST /api/jobs/:uuid/run-again starts the same method, params, key and description: 201 and Location', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const first = await manager.execute('Reports.Echo', [1, { deep: ['x'] }], 'K-echo', 'Echo it');
    await first.waitForCompletion();
    const answer = await request(app)
      .post(`/jobs/api/jobs/${first.uuid}/run-again`)
      .set('X-CSRF-Token', token)
      .expect(201);
    expect(answer.body).toMatchObject({
      methodName: 'Reports.Echo',
      key: 'K-echo',
      description: 'Echo it',
      state: 'Active',
    });
    expect(answer.body.uuid).not.toBe(first.uuid);
    expect(answer.headers.location).toBe(`/jobs/api/jobs/${answer.body.uuid}`);
    const again = (await manager.findByUUID(answer.body.uuid))!;
    await again.waitForCompletion();
    expect(again.result).toEqual([1, { deep: ['x'] }]);
  });

  test('a failed job runs again with its params and fails the same way', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const failed = await manager.execute('Jobs.Fail', ['Деление на 0']);
    await failed.waitForExecutionCompletion();
    const { body } = await request(app)
      .post(`/jobs/api/jobs/${failed.uuid}/run-again`)
      .set('X-CSRF-Token', token)
      .expect(201);
    const again = (await manager.findByUUID(body.uuid))!;
    await again.waitForExecutionCompletion();
    expect(again.state).toBe(BackgroundJobState.Failed);
    expect(again.errorInfo?.description).toBe('Деление на 0');
  });

  test('the key rule applies: while the job holds its key, run again answers 409 WBJ_KEY_CONFLICT and starts nothing', async () => {
    const { app, manager, token, listed } = await dashboard(isolation);
    const holder = await manager.execute('Jobs.Forever', [], 'only-one');
    const { body } = await request(app)
      .post(`/jobs/api/jobs/${holder.uuid}/run-again`)
      .set('X-CSRF-Token', token)
      .expect(409);
    expect(body).toEqual({
      code: 'WBJ_KEY_CONFLICT',
      error: expect.stringContaining(`background job ${holder.uuid} of method "Jobs.Forever"`),
    });
    expect(await listed()).toEqual([holder.uuid]);
  });

  test('an unknown job answers 404', async () => {
    const { app, token } = await dashboard(isolation);
    const { body } = await request(app)
      .post(`/jobs/api/jobs/${UNKNOWN}/run-again`)
      .set('X-CSRF-Token', token)
      .expect(404);
    expect(body.code).toBe('WBJ_NOT_FOUND');
  });
});

describeEachIsolation('the dashboard shows and filters jobs by owner', (isolation) => {
  test('GET /api/jobs lists each job with its owner (null when none); ?owner= keeps the jobs of that owner, matched exactly', async () => {
    const { app, manager, listed } = await dashboard(isolation);
    const alice = await manager.execute('Reports.Build', [1], '', '', { owner: 'alice' });
    const bob = await manager.execute('Reports.Build', [2], '', '', { owner: 'bob' });
    const nobody = await manager.execute('Reports.Build', [3]);
    await manager.waitForCompletion([alice, bob, nobody]);
    const { body } = await request(app).get('/jobs/api/jobs').expect(200);
    expect(body.jobs.map((job: { owner: string | null }) => job.owner)).toEqual([null, 'bob', 'alice']);
    expect(await listed('?owner=alice')).toEqual([alice.uuid]);
    expect(await listed('?owner=Alice')).toEqual([]);
    expect(await listed('?owner=ali')).toEqual([]);
    const details = await request(app).get(`/jobs/api/jobs/${bob.uuid}`).expect(200);
    expect(details.body.owner).toBe('bob');
  });

  test('run again keeps the owner of the job', async () => {
    const { app, manager, token } = await dashboard(isolation);
    const first = await manager.execute('Reports.Build', [5], 'mine', '', { owner: 'alice' });
    await first.waitForCompletion();
    const { body } = await request(app)
      .post(`/jobs/api/jobs/${first.uuid}/run-again`)
      .set('X-CSRF-Token', token)
      .expect(201);
    expect(body.owner).toBe('alice');
    expect((await manager.findByUUID(body.uuid))!.owner).toBe('alice');
  });
});

describeEachIsolation('the dashboard counts jobs by state', (isolation) => {
  test('GET /api/jobs answers the counts of every state, whatever the filters', async () => {
    const { app, manager } = await dashboard(isolation);
    const done = [
      await manager.execute('Reports.Build', [1, 'a']),
      await manager.execute('Reports.Build', [2]),
    ];
    const failed = await manager.execute('Jobs.Fail', ['no']);
    const canceled = await manager.execute('Jobs.Forever');
    await canceled.cancel();
    await manager.execute('Jobs.Forever');
    await manager.waitForExecutionCompletion([...done, failed, canceled]);
    const counts = { Active: 1, Completed: 2, Failed: 1, Canceled: 1 };
    expect((await request(app).get('/jobs/api/jobs').expect(200)).body.counts).toEqual(counts);
    const filtered = (await request(app).get('/jobs/api/jobs?state=Failed&limit=1').expect(200)).body;
    expect(filtered).toMatchObject({ total: 1, counts });
  });
});

describe('the job actions are refused without the CSRF token or when read-only', () => {
  const actions = [
    ['DELETE /api/jobs/:uuid', 'delete', ''],
    ['POST /api/jobs/:uuid/run-again', 'post', '/run-again'],
  ] as const;

  test.each(actions)(
    '%s without the X-CSRF-Token header answers 403 and changes nothing',
    async (_, verb, tail) => {
      const { app, manager, listed } = await dashboard('inline');
      const job = await manager.execute('Reports.Build', [1, 'c']);
      await job.waitForCompletion();
      const { body } = await request(app)[verb](`/jobs/api/jobs/${job.uuid}${tail}`).expect(403);
      expect(body).toMatchObject({ code: 'WBJ_FORBIDDEN', error: expect.stringMatching(/cross-site/) });
      const other = await request(app)
        [verb](`/jobs/api/jobs/${job.uuid}${tail}`)
        .set({ 'X-CSRF-Token': 'f'.repeat(64), Origin: 'https://evil.example' })
        .expect(403);
      expect(other.body.code).toBe('WBJ_FORBIDDEN');
      expect(await listed()).toEqual([job.uuid]);
    },
  );

  test.each(actions)('%s does not exist on a read-only dashboard (404)', async (_, verb, tail) => {
    const { app, manager, token, listed } = await dashboard('inline', { readOnly: true });
    const job = await manager.execute('Reports.Build', [1, 'r']);
    await job.waitForCompletion();
    await request(app)[verb](`/jobs/api/jobs/${job.uuid}${tail}`).set('X-CSRF-Token', token).expect(404);
    expect(await listed()).toEqual([job.uuid]);
  });
});
