import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { eventually, ROOT, runNode, tempDir } from '../helpers';
import { type DemoProcess, startDemo } from './demoProcess';

const output = tempDir();
let demo: DemoProcess;
let url: string;

beforeAll(async () => {
  demo = await startDemo(output);
  url = demo.url;
});

afterAll(() => demo.stop());

describe('the demo app (npm start)', () => {
  test('runs the seed example: two ТестовоеФЗ jobs write their files, with messages', async () => {
    const response = await request(url).post('/seed-example').expect(200);
    expect(response.body.map((job: { key: string; state: string }) => [job.key, job.state])).toEqual([
      ['Ключ1', 'Completed'],
      ['', 'Completed'],
    ]);
    expect(response.body[0].messages[0].text).toBe('Записан файл 1.txt');
    expect(readFileSync(path.join(output, '2.txt'), 'utf8')).toMatch(
      /^Background job [0-9a-f-]{36}: number 1\n$/,
    );
  });

  test('starts a job, shows it by uuid, waits for it, and lists it', async () => {
    const started = await request(url)
      .post('/jobs')
      .send({ method: 'Reports.Build', params: [1], key: 'demo-key', description: 'One month' })
      .expect(202);
    expect(started.headers.location).toBe(`/jobs/${started.body.uuid}`);
    expect(started.body).toMatchObject({ state: 'Active', key: 'demo-key', description: 'One month' });
    await request(url).get(`/jobs/${started.body.uuid}`).expect(200);
    const waited = await request(url).post(`/jobs/${started.body.uuid}/wait?timeout=10`).expect(200);
    expect(waited.body).toMatchObject({ state: 'Completed', result: { months: 1, total: 100 } });
    expect(waited.body.messages.map((item: { text: string }) => item.text)).toEqual(['Month 1 of 1 done']);
    const listed = await request(url).get('/jobs?key=demo-key').expect(200);
    expect(listed.body.map((job: { uuid: string }) => job.uuid)).toEqual([started.body.uuid]);
  });

  test('cancels a running job, and a second job with an active key gets 409', async () => {
    const started = await request(url)
      .post('/jobs')
      .send({ method: 'Reports.Build', params: [60], key: 'long' })
      .expect(202);
    const conflict = await request(url)
      .post('/jobs')
      .send({ method: 'Reports.Build', key: 'long' })
      .expect(409);
    expect(conflict.body.code).toBe('WBJ_KEY_CONFLICT');
    const cancelled = await request(url).post(`/jobs/${started.body.uuid}/cancel`).expect(200);
    expect(cancelled.body.state).toBe('Canceled');
  });

  test('shows a failed job with its errorInfo, started and awaited in one request with ?wait', async () => {
    const failed = await request(url)
      .post('/jobs?wait=30')
      .send({ method: 'Reports.Fail', params: ['no data'] })
      .expect(200);
    expect(failed.headers.location).toBe(`/jobs/${failed.body.uuid}`);
    expect(failed.body).toMatchObject({
      state: 'Failed',
      errorInfo: { description: 'no data', moduleName: 'Reports.js' },
    });
  });

  test('a CPU-bound job runs for seconds in a worker thread: the demo answers with its progress while it runs', async () => {
    const started = await request(url).post('/jobs').send({ method: 'Reports.CountPrimes' }).expect(202);
    // Answered while the job still runs, with progress it reported: the event loop was free all along.
    await eventually(async () => {
      const shown = await request(url).get(`/jobs/${started.body.uuid}`).expect(200);
      expect(shown.body).toMatchObject({
        state: 'Active',
        progress: { text: expect.stringMatching(/primes so far$/) },
      });
    }, 30_000);
    const waited = await request(url).post(`/jobs/${started.body.uuid}/wait?timeout=60`).expect(200);
    expect(waited.body).toMatchObject({ state: 'Completed', result: 664579 });
    expect(Date.parse(waited.body.end) - Date.parse(waited.body.begin)).toBeGreaterThan(1000);
  }, 90_000);

  test('serves the jobs dashboard and its API at /dashboard/, to this machine', async () => {
    const page = await request(url).get('/dashboard/').expect(200);
    expect(page.text).toContain('<title>Background jobs</title>');
    const { body } = await request(url).get('/dashboard/api/jobs?limit=1').expect(200);
    expect(body).toMatchObject({ offset: 0, limit: 1, total: expect.any(Number) });
    await request(url).get('/dashboard/api/jobs').set('X-Forwarded-For', '203.0.113.7').expect(403);
  });

  test('answers bad input with the library error code', async () => {
    expect((await request(url).post('/jobs').send({ method: '../secret.Read' }).expect(400)).body.code).toBe(
      'WBJ_BAD_METHOD_NAME',
    );
    expect((await request(url).post('/jobs').send({ method: 'Nope.Run' }).expect(404)).body.code).toBe(
      'WBJ_HANDLER_NOT_FOUND',
    );
    expect((await request(url).get('/jobs/not-a-uuid').expect(400)).body.code).toBe('WBJ_BAD_ARGUMENT');
    expect((await request(url).get('/jobs?state=Done').expect(400)).body.code).toBe('WBJ_BAD_ARGUMENT');
    await request(url).get('/jobs/00000000-0000-4000-8000-000000000000').expect(404);
    // As text: JSON.stringify itself overflows the stack on 5,000 levels.
    const deep = `{"method":"Reports.Build","params":[${'['.repeat(5000)}${']'.repeat(5000)}]}`;
    const tooDeep = await request(url)
      .post('/jobs')
      .set('content-type', 'application/json')
      .send(deep)
      .expect(400);
    expect(tooDeep.body).toMatchObject({
      code: 'WBJ_PARAM_NOT_CLONEABLE',
      error: expect.stringContaining('1000 levels'),
    });
  });

  test('runs the scheduled job of its web.config every 30 s: runs are in the job list and on the dashboard; it can be switched off', async () => {
    const [heartbeat] = (await request(url).get('/scheduled-jobs').expect(200)).body;
    expect(heartbeat).toMatchObject({
      name: 'Heartbeat',
      methodName: 'Reports.Heartbeat',
      use: true,
      predefined: true,
      schedule: { repeatPeriodSeconds: 30 },
      nextRun: expect.any(String),
    });
    let runs: { state: string; key: string; messages: { text: string }[] }[] = [];
    await eventually(async () => {
      runs = (await request(url).get(`/jobs?scheduledJob=${heartbeat.uuid}&state=Completed`).expect(200))
        .body;
      expect(runs.length).toBeGreaterThanOrEqual(1);
    }, 40_000); // the first run comes at the next half minute
    expect(runs[0]).toMatchObject({ key: 'heartbeat', scheduledJob: { name: 'Heartbeat' } });
    expect(runs[0].messages[0].text).toMatch(/^Alive at /);
    const dashboard = (await request(url).get('/dashboard/api/jobs').expect(200)).body;
    expect(
      dashboard.jobs.some((job: { scheduledJob: string | null }) => job.scheduledJob === 'Heartbeat'),
    ).toBe(true);
    const switchedOff = await request(url)
      .patch('/scheduled-jobs/Heartbeat')
      .send({ use: false })
      .expect(200);
    expect(switchedOff.body).toMatchObject({ use: false });
    expect(switchedOff.body.nextRun).toBeUndefined();
  }, 60_000);

  test('SIGTERM shuts down gracefully: running jobs are cancelled after the grace and the demo exits 0', async () => {
    await request(url)
      .post('/jobs')
      .send({ method: 'Reports.Build', params: [60] })
      .expect(202);
    const printed: string[] = [];
    demo.process.stdout!.on('data', (chunk: Buffer) => printed.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.process.once('exit', resolve));
    demo.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(printed.join('')).toMatch(/SIGTERM: shutting down; 1 active job\(s\) get up to 5 s/);
  });
});

test('the seed usage example script runs almost verbatim and prints both jobs completed', async () => {
  const run = await runNode([path.join(ROOT, 'examples', 'seed-usage.mjs')], { WBJ_DEMO_OUTPUT: tempDir() });
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout.trim().split('\n')).toEqual([
    expect.stringMatching(/^Ключ1: Completed → .*1\.txt$/),
    expect.stringMatching(/^\(без ключа\): Completed → .*2\.txt$/),
  ]);
});
