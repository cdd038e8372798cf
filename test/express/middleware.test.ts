import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import {
  backgroundJobs,
  BackgroundJobsManager,
  type BackgroundJobsMiddlewareOptions,
  BackgroundJobState,
} from 'web-background-jobs';
import {
  attachingConfig,
  closeAfterTest,
  eventually,
  HANDLERS,
  listen,
  recordingLogger,
  ROOT,
  writeConfig,
} from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';

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

/** Error middleware answering an error's code and message, as an application would log them. */
function answerError(error: Error & { code?: string }, _req: Request, res: Response, _next: NextFunction) {
  res.status(500).json({ code: error.code, message: error.message });
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

  test('a config without WebBackgroundJobs attaches nothing and logs one line saying why', () => {
    const logger = recordingLogger();
    const config = writeConfig('    <add key="jobsCheckInterval" value="5000" />');
    const middleware = backgroundJobs({ config, handlers: HANDLERS, logger });
    expect(middleware.manager).toBeUndefined();
    expect(logger.lines.warn).toEqual([
      `[web-background-jobs] web-background-jobs is not attached: ${config} has no <add key="WebBackgroundJobs" value="attachAssembly" /> in <appSettings>.`,
    ]);
  });

  test('req.backgroundJobs under a config without WebBackgroundJobs throws WBJ_NOT_ATTACHED naming the file and the misspelt key', async () => {
    const config = writeConfig('    <add key="WebBackgroundJob" value="attachAssembly" />');
    const app = appWith(backgroundJobs({ config, handlers: HANDLERS, logger: recordingLogger() }));
    app.use(answerError);
    const reason =
      `web-background-jobs is not attached: ${config} has no <add key="WebBackgroundJobs" value="attachAssembly" /> in <appSettings>. ` +
      'Its key "WebBackgroundJob" (line 4) looks like a typo: did you mean WebBackgroundJobs?';
    await request(app)
      .get('/manager')
      .expect(500, {
        code: 'WBJ_NOT_ATTACHED',
        message: `req.backgroundJobs is not set: ${reason} Add that key to attach the library, then restart the application`,
      });
  });

  test('req.backgroundJobs in a route registered before app.use(backgroundJobs()) throws WBJ_NOT_ATTACHED saying so; routes after it get the manager', async () => {
    const app = express();
    app.get('/early', (req, res) => void res.json({ attached: req.backgroundJobs !== undefined }));
    const middleware = attached();
    app.use(middleware);
    app.get('/late', (req, res) => void res.json({ same: req.backgroundJobs === middleware.manager }));
    app.use(answerError);
    await request(app)
      .get('/early')
      .expect(500, {
        code: 'WBJ_NOT_ATTACHED',
        message:
          'req.backgroundJobs is not set: the backgroundJobs() middleware did not run for this request. ' +
          'Call app.use(backgroundJobs()) before registering the routes (and routers) that read req.backgroundJobs',
      });
    await request(app).get('/late').expect(200, { same: true });
  });

  test('web.config is read once: an unknown jobs… key is warned about once', () => {
    const logger = recordingLogger();
    const config = writeConfig(`${ATTACH}\n    <add key="jobsHistroySize" value="5" />`);
    closeAfterTest(backgroundJobs({ config, handlers: HANDLERS, logger }).manager);
    expect(logger.lines.warn).toEqual([
      `[web-background-jobs] Unknown key "jobsHistroySize" (did you mean jobsHistorySize?) in ${config}, line 5 is ignored.`,
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

  test('an unknown option is refused naming every option the middleware takes, its own closeOnServerClose too', () => {
    let error: unknown;
    try {
      attached({ closeOnServerClos: true } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining('Unknown option "closeOnServerClos"'),
    });
    const listed = (error as Error).message.replace(/^.*expected one of /, '').split(', ');
    expect(listed).toEqual(
      expect.arrayContaining(['config', 'handlers', 'isolation', 'logger', 'closeOnServerClose']),
    );
  });

  test('a handler module that throws while loading fails its request, and the app keeps serving', async () => {
    const app = appWith(attached());
    await request(app).post('/broken').expect(500, { code: 'WBJ_HANDLER_LOAD_FAILED' });
    await request(app).get('/ping').expect(200, 'pong');
  });
});

/** The Redis connections (`CLIENT LIST` lines) whose client end is a TCP socket held by process `pid`. */
async function redisClientsOf(redis: RedisServer, pid: number): Promise<string[]> {
  const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(redis.port), 'CLIENT', 'LIST']);
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket !== null) inodes.add(socket[1]);
    } catch {
      // closed between the listing and the read: not a connection any more
    }
  }
  // /proc/net/tcp: "sl local_address rem_address st … uid timeout inode", addresses as hex IP:port.
  const ports = new Set(
    ['tcp', 'tcp6']
      .flatMap((file) => readFileSync(`/proc/net/${file}`, 'utf8').trim().split('\n').slice(1))
      .map((line) => line.trim().split(/\s+/))
      .filter((columns) => inodes.has(columns[9]))
      .map((columns) => parseInt(columns[1].split(':')[1], 16)),
  );
  return stdout.split('\n').filter((line) => ports.has(Number(/(?:^| )addr=\S*:(\d+) /.exec(line)?.[1])));
}

/** The exit code of `child`, or 'still running' if it has not exited after `boundMs`. */
function exitOf(child: ChildProcess, boundMs: number): Promise<number | null | 'still running'> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const bound = setTimeout(() => resolve('still running'), boundMs);
    child.once('exit', (code) => {
      clearTimeout(bound);
      resolve(code);
    });
  });
}

describe('a web.config that does not attach the library, with jobsStore on Redis', () => {
  let redis: RedisServer;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(() => child?.kill('SIGKILL'));
  afterAll(() => redis.stop());

  test.each([
    ['middleware', 'backgroundJobs() attaches nothing'],
    ['manager', 'new BackgroundJobsManager() is refused with WBJ_CONFIG'],
  ])(
    '%s: %s and builds nothing: no Redis connection, no timer, no job taken from the shared queue, and the process exits on its own',
    async (mode) => {
      const queueName = `detached-${mode}`;
      const shared = { handlers: HANDLERS, store: redis.url, queueName, isolation: 'inline' } as const;
      // An attached, web-only instance queues a job that only a worker can take.
      const webOnly = closeAfterTest(
        new BackgroundJobsManager({
          ...shared,
          config: attachingConfig(),
          logger: recordingLogger(),
          worker: false,
        }),
      );
      const job = await webOnly.execute('Jobs.WhereAmI', [0]);
      const config = writeConfig(
        [
          `    <add key="jobsStore" value="${redis.url}" />`,
          `    <add key="jobsQueueName" value="${queueName}" />`,
          '    <add key="jobsIsolation" value="inline" />',
        ].join('\n'),
        undefined,
        '    <add name="EverySecond" method="Jobs.WhereAmI" params="[0]" cron="* * * * * *" />',
      );
      child = spawn(
        process.execPath,
        [path.join(ROOT, 'test/fixtures/process/detached-instance.mjs'), HANDLERS, mode],
        { cwd: ROOT, env: { ...process.env, WBJ_CONFIG: config }, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const lines: string[] = [];
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        lines.splice(0, lines.length, ...output.split('\n').filter((line) => line !== ''));
      });
      const reason = `web-background-jobs is not attached: ${config} has no <add key="WebBackgroundJobs" value="attachAssembly" /> in <appSettings>.`;
      await eventually(() => expect(lines.length).toBeGreaterThanOrEqual(1), 15_000);
      expect(JSON.parse(lines[0])).toEqual(
        mode === 'middleware'
          ? { outcome: { manager: 'none' }, warnings: [`[web-background-jobs] ${reason}`] }
          : {
              outcome: {
                code: 'WBJ_CONFIG',
                message: `${reason} Add that key to attach it, or use backgroundJobs(), which then attaches nothing`,
              },
              warnings: [],
            },
      );
      // The same look finds the connections of this process's attached manager, and none of the detached one.
      expect(await redisClientsOf(redis, process.pid)).not.toEqual([]);
      expect(await redisClientsOf(redis, child.pid!)).toEqual([]);
      child.stdin!.end('looked\n');
      await eventually(() => expect(lines.length).toBe(2), 15_000);
      // A detached process that lingered would have had this long to take the job.
      const exit = await exitOf(child, 15_000);
      closeAfterTest(
        new BackgroundJobsManager({ ...shared, config: attachingConfig(), logger: recordingLogger() }),
      );
      await job.waitForCompletion();
      expect(job.result).toBe(process.pid); // taken by this process's attached worker, not by the detached one
      expect(JSON.parse(lines[1])).toEqual({ created: [] });
      expect(exit).toBe(0);
    },
    60_000,
  );
});
