// The demo application: an Express app whose routes start, list, inspect, await and cancel background jobs, and a page
// that runs a long operation from the browser (public/long-operation.html, through backgroundJobsApi and runJob).
import express from 'express';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  backgroundJobs,
  backgroundJobsApi,
  backgroundJobsDashboard,
  BackgroundJobsError,
} from 'web-background-jobs';

const CONFIG = fileURLToPath(new URL('../config/web.config', import.meta.url));
const PUBLIC = fileURLToPath(new URL('./public', import.meta.url));

const STATUS = { WBJ_KEY_CONFLICT: 409, WBJ_HANDLER_NOT_FOUND: 404 };

/**
 * Who the request comes from, for the API's `owner`: the `X-Demo-User` header (for curl), else the `demoUser` cookie,
 * given to a browser on its first request. A stand-in for a login: a real application takes the user from its session
 * (`req.user.id` after passport, `req.session.userId`), never from what the browser says, since that is the only
 * thing keeping one user from reading or cancelling another's jobs. The cookie is readable by the page, which shows it.
 */
function demoUser(req, res, next) {
  const cookie = /(?:^|;\s*)demoUser=([0-9a-f]{16})(?:;|$)/.exec(req.headers.cookie ?? '')?.[1];
  req.demoUser = req.get('X-Demo-User') || cookie;
  if (req.demoUser === undefined) {
    req.demoUser = randomBytes(8).toString('hex');
    res.cookie('demoUser', req.demoUser, { sameSite: 'lax', path: '/' });
  }
  next();
}

/** The demo app; its manager is `app.locals.backgroundJobs`, for shutting it down. */
export function createDemoApp(options = {}) {
  const app = express();
  const middleware = backgroundJobs({ config: CONFIG, ...options });
  app.locals.backgroundJobs = middleware.manager;
  app.use(demoUser);
  app.use(middleware);
  // The browser's door to the jobs: only these methods, and each user sees and cancels only their own jobs.
  // It parses its own bodies (with its size limit), so it comes before express.json().
  app.use(
    '/api/jobs',
    backgroundJobsApi({ methods: ['Reports.Build', 'Reports.Fail'], owner: (req) => req.demoUser }),
  );
  // The long-operation page: http://127.0.0.1:3000/long-operation.html
  app.use(express.static(PUBLIC));
  app.use(express.json());
  // The jobs dashboard and its JSON API; by default it answers only requests from this machine.
  app.use('/dashboard', backgroundJobsDashboard());

  /** The seed's example: two ТестовоеФЗ jobs, then wait for all (ОжидатьЗавершения). */
  app.post('/seed-example', async (req, res) => {
    const ФоновыеЗадания = req.backgroundJobs;
    const МассивЗаданий = [
      await ФоновыеЗадания.Выполнить('Тестовый.ТестовоеФЗ', [1, '1.txt'], 'Ключ1', 'Описание1'),
      await ФоновыеЗадания.Выполнить('Тестовый.ТестовоеФЗ', [1, '2.txt']),
    ];
    await ФоновыеЗадания.ОжидатьЗавершения(МассивЗаданий);
    res.json(МассивЗаданий);
  });

  /** Starts a job: 202 at once, or with ?wait=seconds, 200 once it has ended (or the seconds have passed). */
  app.post('/jobs', async (req, res) => {
    const { method, params, key, description, timeoutSeconds } = req.body ?? {};
    const job = await req.backgroundJobs.execute(method, params, key, description, { timeoutSeconds });
    res.location(`/jobs/${job.uuid}`);
    if (req.query.wait === undefined) return void res.status(202).json(job);
    await req.backgroundJobs.waitForExecutionCompletion([job], Number(req.query.wait));
    res.json(job);
  });

  app.get('/jobs', async (req, res) => {
    const { state, key, methodName, description, scheduledJob } = req.query;
    res.json(
      await req.backgroundJobs.getBackgroundJobs({ state, key, methodName, description, scheduledJob }),
    );
  });

  /** The scheduled jobs (РегламентныеЗадания), with when each runs next and its last run. */
  app.get('/scheduled-jobs', async (req, res) => {
    const scheduledJobs = await req.backgroundJobs.scheduledJobs.get();
    res.json(
      scheduledJobs.map((job) => ({ ...job.toJSON(), nextRun: job.nextRun, lastJob: job.lastJob?.uuid })),
    );
  });

  /** Switches a scheduled job on or off: { "use": false }. */
  app.patch('/scheduled-jobs/:name', async (req, res) => {
    const job = await req.backgroundJobs.scheduledJobs.findByName(req.params.name);
    if (job === undefined) return void res.status(404).json({ error: `No scheduled job ${req.params.name}` });
    job.use = req.body?.use;
    await job.write();
    res.json({ ...job.toJSON(), nextRun: job.nextRun });
  });

  app.get('/jobs/:uuid', async (req, res) => {
    const job = await req.backgroundJobs.findByUUID(req.params.uuid);
    if (job === undefined) return void res.status(404).json({ error: `No job ${req.params.uuid}` });
    res.json(job);
  });

  /** Waits up to ?timeout seconds (default 30); 1C 8.3 ОжидатьЗавершенияВыполнения never throws. */
  app.post('/jobs/:uuid/wait', async (req, res) => {
    const job = await req.backgroundJobs.findByUUID(req.params.uuid);
    if (job === undefined) return void res.status(404).json({ error: `No job ${req.params.uuid}` });
    await req.backgroundJobs.waitForExecutionCompletion([job], Number(req.query.timeout ?? 30));
    res.json(job);
  });

  app.post('/jobs/:uuid/cancel', async (req, res) => {
    const job = await req.backgroundJobs.findByUUID(req.params.uuid);
    if (job === undefined) return void res.status(404).json({ error: `No job ${req.params.uuid}` });
    job.cancel();
    res.json(job);
  });

  // Errors of the library carry a stable code: a client error unless said otherwise.
  app.use((error, _req, res, _next) => {
    if (error instanceof BackgroundJobsError) {
      return void res.status(STATUS[error.code] ?? 400).json({ code: error.code, error: error.message });
    }
    console.error(error);
    res.status(500).json({ error: 'Internal error' });
  });
  return app;
}
