import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { Counter, register, Registry } from 'prom-client';
import { backgroundJobsMetrics, type BackgroundJobsManager, registerMetrics } from 'web-background-jobs';
import { appWithJobs, createManager, ROOT, runNode } from '../helpers';
import { parseExposition, sampleValue } from './exposition';

// How metrics are registered and served: once a registry (a second time is WBJ_CONFIG, not prom-client's own
// error), a prefix for a second manager, checked options, the handler on req.backgroundJobs, and prom-client an
// optional peer dependency.

afterEach(() => register.clear()); // prom-client's global registry, which the defaults use

/** Calls `call` and returns the BackgroundJobsError it throws, as code and message. */
function refusal(call: () => unknown): { code: string; message: string } {
  try {
    call();
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
  throw new Error('It did not throw');
}

/** Runs one job of `manager` to its end. */
async function oneJob(manager: BackgroundJobsManager): Promise<void> {
  await (await manager.execute('Reports.Build', [1, 'a'])).waitForCompletion();
}

describe('registerMetrics', () => {
  test('a second call on the same registry fails with WBJ_CONFIG naming the metric and what holds it, not prom-client’s error', () => {
    const manager = createManager();
    const registry = new Registry();
    expect(registerMetrics(manager, { registry })).toBe(registry);
    expect(refusal(() => registerMetrics(manager, { registry }))).toEqual({
      code: 'WBJ_CONFIG',
      message:
        'registerMetrics(manager, options): the registry already holds a metric named wbj_jobs_total ' +
        '(registerMetrics was called for this manager already); register the metrics once a registry, or give a ' +
        'second manager another prefix or registry',
    });
    expect(refusal(() => registerMetrics(createManager(), { registry })).message).toContain(
      '(registerMetrics was called for another manager with this prefix)',
    );
  });

  test('a name the application registered itself is refused before any metric is made', async () => {
    const registry = new Registry();
    new Counter({ name: 'wbj_worker_threads', help: 'the application’s own', registers: [registry] });
    expect(refusal(() => registerMetrics(createManager(), { registry }))).toEqual({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining(
        'already holds a metric named wbj_worker_threads (the application registered a metric of that name)',
      ),
    });
    expect([...parseExposition(await registry.metrics()).keys()]).toEqual(['wbj_worker_threads']);
  });

  test('two managers share a registry under two prefixes, each counting its own jobs', async () => {
    const registry = new Registry();
    const [first, second] = [createManager(), createManager()];
    registerMetrics(first, { registry });
    registerMetrics(second, { registry, prefix: 'reports_' });
    await oneJob(first);
    await oneJob(second);
    await oneJob(second);
    const families = parseExposition(await registry.metrics());
    const counted = { method: 'Reports.Build', state: 'completed' };
    expect(sampleValue(families, 'wbj_jobs_total', counted)).toBe(1);
    expect(sampleValue(families, 'reports_jobs_total', counted)).toBe(2);
  });

  test('prom-client’s global registry is the default', async () => {
    const manager = createManager();
    expect(registerMetrics(manager)).toBe(register);
    await oneJob(manager);
    const families = parseExposition(await register.metrics());
    expect(sampleValue(families, 'wbj_jobs_total', { method: 'Reports.Build', state: 'completed' })).toBe(1);
  });

  test.each([
    [{ registy: new Registry() }, 'unknown option "registy"; expected registry, prefix'],
    [{ prefix: '9wbj_' }, 'the prefix option must start a Prometheus metric name'],
    [{ prefix: 'my-app_' }, 'got "my-app_"'],
    [{ prefix: 42 }, 'got 42'],
    [{ registry: {} }, 'the registry option must be a prom-client Registry, got an object'],
    ['wbj_', 'the options must be an object { registry?, prefix? }, got "wbj_"'],
  ])('a bad option %p is refused with WBJ_CONFIG saying what was expected', (options, expected) => {
    const manager = createManager();
    expect(refusal(() => registerMetrics(manager, options as never))).toEqual({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining(expected),
    });
  });

  test('a manager that is not one is refused with WBJ_CONFIG', () => {
    expect(refusal(() => registerMetrics({} as BackgroundJobsManager))).toEqual({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining('the manager must be a BackgroundJobsManager, got an object'),
    });
  });
});

describe('backgroundJobsMetrics()', () => {
  test('without options it serves prom-client’s global registry with req.backgroundJobs’ metrics, registered once at the first scrape', async () => {
    const { app, manager } = appWithJobs();
    app.get('/metrics', backgroundJobsMetrics());
    const before = parseExposition((await request(app).get('/metrics').expect(200)).text);
    expect(sampleValue(before, 'wbj_jobs_active')).toBe(0);
    await oneJob(manager);
    const after = parseExposition((await request(app).get('/metrics').expect(200)).text);
    expect(sampleValue(after, 'wbj_jobs_total', { method: 'Reports.Build', state: 'completed' })).toBe(1);
  });

  test('after registerMetrics at start-up it serves those metrics, under their prefix, without registering again', async () => {
    const { app, manager } = appWithJobs();
    const registry = new Registry();
    registerMetrics(manager, { registry, prefix: 'app_jobs_' });
    app.get('/metrics', backgroundJobsMetrics({ registry }));
    await oneJob(manager);
    const families = parseExposition((await request(app).get('/metrics').expect(200)).text);
    expect(
      sampleValue(families, 'app_jobs_jobs_total', { method: 'Reports.Build', state: 'completed' }),
    ).toBe(1);
    expect([...families.keys()].filter((name) => name.startsWith('wbj_'))).toEqual([]);
  });

  test('with a manager, it counts from its creation, and serves without the middleware', async () => {
    const manager = createManager();
    const registry = new Registry();
    const app = express().get('/metrics', backgroundJobsMetrics({ manager, registry }));
    await oneJob(manager);
    const families = parseExposition((await request(app).get('/metrics').expect(200)).text);
    expect(sampleValue(families, 'wbj_jobs_total', { method: 'Reports.Build', state: 'completed' })).toBe(1);
  });

  test('bad options are refused when it is made, with WBJ_CONFIG', () => {
    expect(refusal(() => backgroundJobsMetrics({ manager: 'app' as never })).message).toBe(
      'backgroundJobsMetrics(options): the manager option must be a BackgroundJobsManager, got "app"',
    );
    expect(refusal(() => backgroundJobsMetrics({ manager: createManager(), prefix: '-' }))).toEqual({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining('the prefix option must start a Prometheus metric name'),
    });
  });
});

test('without prom-client installed, registerMetrics and backgroundJobsMetrics fail with WBJ_CONFIG naming npm install prom-client', async () => {
  // prom-client made unfindable, as in an application that never installed it.
  const run = await runNode([
    '--require',
    path.join(ROOT, 'test', 'fixtures', 'process', 'without-prom-client.js'),
    '-e',
    `const { BackgroundJobsManager, backgroundJobsMetrics, registerMetrics } = require('web-background-jobs');
const manager = new BackgroundJobsManager({ handlers: ${JSON.stringify(path.join(ROOT, 'test', 'fixtures', 'handlers'))} });
const refused = [() => registerMetrics(manager), () => backgroundJobsMetrics()].map((call) => {
  try { call(); } catch (error) { return { code: error.code, message: error.message }; }
});
manager.close().then(() => console.log(JSON.stringify(refused)));`,
  ]);
  expect(JSON.parse(run.stdout)).toEqual(
    ['registerMetrics(manager, options)', 'backgroundJobsMetrics(options)'].map((caller) => ({
      code: 'WBJ_CONFIG',
      message:
        `${caller} exports Prometheus metrics through prom-client, but prom-client is not installed (an optional ` +
        'peer dependency of web-background-jobs). Install it in the application: npm install prom-client',
    })),
  );
});
