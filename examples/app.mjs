// The demo application: an Express app whose routes start, list, inspect, await and cancel background jobs.
import express from 'express';
import { fileURLToPath } from 'node:url';
import { backgroundJobs, backgroundJobsDashboard, BackgroundJobsError } from 'web-background-jobs';

const CONFIG = fileURLToPath(new URL('../config/web.config', import.meta.url));

const STATUS = { WBJ_KEY_CONFLICT: 409, WBJ_HANDLER_NOT_FOUND: 404 };

/** The demo app; its manager is `app.locals.backgroundJobs`, for shutting it down. */
export function createDemoApp(options = {}) {
  const app = express();
  const middleware = backgroundJobs({ config: CONFIG, ...options });
  app.locals.backgroundJobs = middleware.manager;
  app.use(express.json());
  app.use(middleware);
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
