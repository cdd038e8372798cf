import express from 'express';
import request from 'supertest';
import {
  backgroundJobs,
  BackgroundJobsManager,
  type BackgroundJobsMiddlewareOptions,
  BackgroundJobState,
} from 'web-background-jobs';
import { closeAfterTest, eventually, HANDLERS, listen, recordingLogger, writeConfig } from '../helpers';

const ATTACH = '    <add key="WebBackgroundJobs" value="attachAssembly" />';

/** Middleware on an attaching web.config and the fixture handlers. */
function attached(options: BackgroundJobsMiddlewareOptions = {}) {
  const middleware = backgroundJobs({
    config: writeConfig(ATTACH),
    handlers: HANDLERS,
    logger: recordingLogger(),
    ...options,
  });
  closeAfterTest(middleware.manager);
  return middleware;
}

function appWith(middleware: ReturnType<typeof backgroundJobs>) {
  const app = express();
  app.use(express.json());
  app.use(middleware);
  app.get('/manager', (req, res) => {
    res.json({
      attached: req.backgroundJobs instanceof BackgroundJobsManager,
      same: req.backgroundJobs === middleware.manager,
    });
  });
  app.post('/reports', async (req, res) => {
    const job = await req.backgroundJobs.execute(
      'Reports.Build',
      req.body.params,
      req.body.key,
      'HTTP report',
    );
    res.status(202).json({ uuid: job.uuid });
  });
  app.get('/jobs/:uuid', async (req, res) => {
    const job = await req.backgroundJobs.findByUUID(req.params.uuid);
    if (!job) return void res.sendStatus(404);
    await job.waitForCompletion();
    res.json({ state: job.state, result: job.result });
  });
  app.post('/broken', async (req, res) => {
    try {
      await req.backgroundJobs.execute('Broken.Run');
      res.sendStatus(202);
    } catch (error) {
      res.status(500).json({ code: (error as { code?: string }).code });
    }
  });
  app.get('/ping', (_req, res) => void res.send('pong'));
  return app;
}

describe('backgroundJobs() middleware', () => {
  test('every request of an app gets the same manager, the one on middleware.manager', async () => {
    const middleware = attached();
    const app = appWith(middleware);
    for (let index = 0; index < 3; index += 1) {
      await request(app).get('/manager').expect(200, { attached: true, same: true });
    }
  });

  test('two apps get two managers', () => {
    const config = writeConfig(ATTACH);
    const first = backgroundJobs({ config, handlers: HANDLERS, logger: recordingLogger() });
    const second = backgroundJobs({ config, handlers: HANDLERS, logger: recordingLogger() });
    expect(first.manager).toBeInstanceOf(BackgroundJobsManager);
    expect(first.manager).not.toBe(second.manager);
  });

  test('a job started by one request is found and awaited by another', async () => {
    const middleware = attached();
    const app = appWith(middleware);
    const started = await request(app)
      .post('/reports')
      .send({ params: [7, 'r.txt'], key: 'R' })
      .expect(202);
    await request(app)
      .get(`/jobs/${started.body.uuid}`)
      .expect(200, { state: BackgroundJobState.Completed, result: '7:r.txt' });
  });

  test('a config without WebBackgroundJobs attaches nothing and logs one line saying why', async () => {
    const logger = recordingLogger();
    const config = writeConfig('    <add key="jobsCheckInterval" value="5000" />');
    const middleware = backgroundJobs({ config, handlers: HANDLERS, logger });
    expect(middleware.manager).toBeUndefined();
    await request(appWith(middleware)).get('/manager').expect(200, { attached: false, same: true });
    expect(logger.lines.warn).toEqual([
      `[web-background-jobs] web-background-jobs is not attached: ${config} has no <add key="WebBackgroundJobs" value="attachAssembly" /> in <appSettings>.`,
    ]);
  });

  test('a bad config fails when the middleware is created, before the app serves', () => {
    const config = writeConfig(`${ATTACH}\n    <add key="jobsCheckInterval" value="-5" />`);
    expect(() => backgroundJobs({ config, logger: recordingLogger() })).toThrow(
      /jobsCheckInterval must be a non-negative integer/,
    );
  });

  test('closeOnServerClose: closing the HTTP server closes the manager, cancelling what outlives the grace', async () => {
    const middleware = attached({ closeOnServerClose: { graceSeconds: 0.1 } });
    const app = appWith(middleware);
    app.post('/forever', async (req, res) => {
      const job = await req.backgroundJobs.execute('Jobs.Forever');
      res.status(202).json({ uuid: job.uuid });
    });
    const server = await listen(app);
    const { body } = await request(server).post('/forever').expect(202);
    const job = (await middleware.manager!.findByUUID(body.uuid))!;
    server.close();
    await eventually(() => expect(job.state).toBe(BackgroundJobState.Canceled));
    await expect(middleware.manager!.execute('Reports.Echo')).rejects.toMatchObject({ code: 'WBJ_CLOSED' });
  });

  test('without closeOnServerClose, closing the server leaves the manager running', async () => {
    const middleware = attached();
    const server = await listen(appWith(middleware));
    await request(server).get('/ping').expect(200);
    await new Promise((resolve) => server.close(resolve));
    const job = await middleware.manager!.execute('Reports.Build', [1, 'still']);
    await job.waitForCompletion();
    expect(job.result).toBe('1:still');
  });

  test.each([
    ['yes', /closeOnServerClose option must be true, false or \{ graceSeconds \}, got "yes"/],
    [null, /closeOnServerClose option must be true, false or \{ graceSeconds \}, got null/],
    [{ graceSeconds: 'soon' }, /closeOnServerClose: \{ graceSeconds \}.*got "soon"/],
  ])('closeOnServerClose %p is refused with WBJ_CONFIG at start-up', (value, message) => {
    expect(() => attached({ closeOnServerClose: value as never })).toThrow(message);
  });

  test('a handler module that throws while loading fails its request, and the app keeps serving', async () => {
    const app = appWith(attached());
    await request(app).post('/broken').expect(500, { code: 'WBJ_HANDLER_LOAD_FAILED' });
    await request(app).get('/ping').expect(200, 'pong');
  });
});
