import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  attachingConfig,
  createManager,
  eventually,
  HANDLERS as HANDLERS_OF_FIXTURES,
  ROOT,
  runNode,
  tempDir,
  writeConfig,
} from '../helpers';
import { exporter, HANDLERS, runRoute, tracedApp } from './tracedApp';

function spanNamed(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe.each(['inline', 'thread'] as const)('a job span [%s]', (isolation) => {
  test('a job executed in an HTTP request is a CONSUMER span of its trace, child of the route span, with the job attributes and its messages as events; the handler runs in its context', async () => {
    const { app, manager } = tracedApp({ isolation });
    const { job, route } = await runRoute(app, manager, 'Traced.Report', ['ready']);
    expect(job.state).toBe('Completed');

    const span = spanNamed('background_job Traced.Report');
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.spanContext().traceId).toBe(route.traceId);
    expect(span.parentSpanContext?.spanId).toBe(route.spanId);
    expect(span.attributes).toEqual({
      'background_job.uuid': job.uuid,
      'background_job.method': 'Traced.Report',
      'background_job.key': 'monthly',
      'background_job.attempt': 1,
      'background_job.queue_seconds': expect.any(Number),
      'background_job.state': 'Completed',
    });
    expect(span.attributes['background_job.queue_seconds']).toBeGreaterThanOrEqual(0);
    expect(span.events.map(({ name, attributes }) => ({ name, attributes }))).toEqual([
      { name: 'background_job.message', attributes: { 'background_job.message.text': 'ready' } },
    ]);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // Inline and in a worker thread alike, the span active around the handler's code is the job's.
    expect(job.result).toEqual({ traceId: route.traceId, spanId: span.spanContext().spanId });
    if (isolation === 'inline') {
      expect(spanNamed('Traced.query').parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    }
  });

  test("a job its handler starts (ФоновыеЗадания.Выполнить) is a child of the starting job's span", async () => {
    const { app, manager } = tracedApp({ isolation });
    const { job } = await runRoute(app, manager, 'Traced.Parent');
    expect(job.state).toBe('Completed');
    const parent = spanNamed('background_job Traced.Parent');
    const child = spanNamed('background_job Traced.Report');
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  test('a failed job ends its span with status ERROR and the error description', async () => {
    const { app, manager } = tracedApp({ isolation });
    const { job } = await runRoute(app, manager, 'Traced.Fail', ['the ledger is locked']);
    expect(job.state).toBe('Failed');
    const span = spanNamed('background_job Traced.Fail');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the ledger is locked' });
    expect(span.attributes['background_job.state']).toBe('Failed');
  });

  test('a job past its time limit ends its span with status ERROR and error.type WBJ_JOB_TIMEOUT', async () => {
    const { app, manager } = tracedApp({ isolation, timeoutSeconds: 0.2 });
    const { job } = await runRoute(app, manager, 'Traced.Wait');
    expect(job.errorInfo?.code).toBe('WBJ_JOB_TIMEOUT');
    const span = spanNamed('background_job Traced.Wait');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: job.errorInfo!.description });
    expect(span.attributes).toMatchObject({
      'background_job.state': 'Failed',
      'error.type': 'WBJ_JOB_TIMEOUT',
    });
  });

  test('a cancelled job ends its span as it is cancelled, state Canceled and no error status', async () => {
    const manager = createManager({ handlers: HANDLERS, isolation });
    const job = await manager.execute('Traced.Wait');
    await eventually(() => expect(job.getUserMessages()).toHaveLength(1)); // its handler runs
    await job.cancel();
    const span = spanNamed('background_job Traced.Wait');
    expect(span.attributes['background_job.state']).toBe('Canceled');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });
});

test("each attempt of a job with attempts is a span of its own under the caller's span: a failed one with status ERROR, the last with how the job ended", async () => {
  const manager = createManager({ handlers: HANDLERS, isolation: 'inline' });
  const parent = trace.getTracer('test').startSpan('POST /retried');
  const job = await context.with(trace.setSpan(context.active(), parent), () =>
    manager.execute('Traced.FailOnce', [], '', '', {
      attempts: 2,
      backoff: { type: 'fixed', delaySeconds: 0.05 },
    }),
  );
  parent.end();
  await manager.waitForCompletion([job]);
  const attempts = exporter
    .getFinishedSpans()
    .filter((span) => span.name === 'background_job Traced.FailOnce')
    .map((span) => ({
      parent: span.parentSpanContext?.spanId,
      attempt: span.attributes['background_job.attempt'],
      state: span.attributes['background_job.state'],
      status: span.status,
    }));
  expect(attempts).toEqual([
    {
      parent: parent.spanContext().spanId,
      attempt: 1,
      state: 'Failed',
      status: { code: SpanStatusCode.ERROR, message: 'the first attempt fails' },
    },
    {
      parent: parent.spanContext().spanId,
      attempt: 2,
      state: 'Completed',
      status: { code: SpanStatusCode.UNSET },
    },
  ]);
});

test('a job executed where no span is active starts a trace of its own: its span has no parent', async () => {
  const manager = createManager({ handlers: HANDLERS });
  const job = await manager.execute('Traced.Report', ['alone']);
  await manager.waitForCompletion([job]);
  const span = spanNamed('background_job Traced.Report');
  expect(span.parentSpanContext).toBeUndefined();
  expect(job.result).toEqual({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
});

test.each(['inline', 'thread'])(
  'without @opentelemetry/api installed, jobs run as before, nothing is logged, and the package is looked for once [%s]',
  async (isolation) => {
    const config = writeConfig(
      `    <add key="WebBackgroundJobs" value="attachAssembly" />\n    <add key="jobsIsolation" value="${isolation}" />`,
    );
    const lookups = path.join(tempDir(), 'lookups');
    const run = await runNode(
      [
        '--require',
        path.join(ROOT, 'test/fixtures/process/opentelemetry-missing.cjs'),
        path.join(ROOT, 'test/fixtures/process/run-jobs.mjs'),
        HANDLERS_OF_FIXTURES,
        'Jobs.Messages:"hi"',
        'Jobs.Fail:"boom"',
        'Jobs.Messages:"again"',
      ],
      { WBJ_CONFIG: config, WBJ_OTEL_LOOKUPS: lookups },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      outcomes: [
        { method: 'Jobs.Messages', state: 'Completed', result: 1 },
        { method: 'Jobs.Fail', state: 'Failed', error: 'boom' },
        { method: 'Jobs.Messages', state: 'Completed', result: 1 },
      ],
      log: [expect.stringContaining('Jobs.Fail) failed: boom')],
    });
    expect(readFileSync(lookups, 'utf8')).toBe('1');
  },
);

test("a job that waited for a concurrency slot has that wait as its span's queue_seconds; one that started at once has 0", async () => {
  const manager = createManager({ handlers: HANDLERS, maxConcurrency: 1 });
  const first = await manager.execute('Traced.Wait');
  const executedAt = Date.now();
  const second = await manager.execute('Traced.Report', ['after the wait']);
  await eventually(() => expect(first.getUserMessages()).toHaveLength(1));
  const freedAt = Date.now();
  await first.cancel(); // frees the slot the second job waits for
  await manager.waitForCompletion([second]);
  const queued = (name: string) => spanNamed(name).attributes['background_job.queue_seconds'];
  expect(queued('background_job Traced.Wait')).toBe(0);
  expect(queued('background_job Traced.Report')).toBeGreaterThan(0);
  expect(queued('background_job Traced.Report')).toBeGreaterThanOrEqual((freedAt - executedAt - 1) / 1000);
});

test('an @opentelemetry/api that is installed but fails to load stops the manager at start-up with WBJ_CONFIG naming its error and the npm install command', async () => {
  const build = `const { BackgroundJobsManager } = require('web-background-jobs');
try {
  new BackgroundJobsManager({ config: process.argv[1], handlers: process.argv[2] });
} catch (error) {
  console.log(JSON.stringify({ code: error.code, message: error.message }));
}`;
  const run = await runNode(
    [
      '--require',
      path.join(ROOT, 'test/fixtures/process/opentelemetry-missing.cjs'),
      '-e',
      build,
      attachingConfig(),
      HANDLERS_OF_FIXTURES,
    ],
    { WBJ_OTEL_BROKEN: '1' },
  );
  expect(JSON.parse(run.stdout)).toEqual({
    code: 'WBJ_CONFIG',
    message:
      'web-background-jobs traces jobs with @opentelemetry/api when the application has it; @opentelemetry/api is ' +
      "installed but failed to load: Cannot find module 'opentelemetry-internal'. Reinstall it in the application: " +
      'npm install @opentelemetry/api',
  });
});

test('examples/trace-tree.mjs prints the trace of its request as a tree: the route span with its two job spans, messages and error status', async () => {
  const run = await runNode([path.join(ROOT, 'examples/trace-tree.mjs')]);
  expect(run.stderr).toBe('');
  const lines = run.stdout.split('\n');
  expect(lines[0]).toMatch(/^trace [\da-f]{32}$/);
  expect(lines[1]).toMatch(/^POST \/reports {2}\[SERVER, \d+ ms\]$/);
  expect(lines.filter((line) => /[├└]─ background_job /.test(line))).toEqual([
    expect.stringMatching(/├─ background_job Reports\.Build {2}\[CONSUMER, \d+ ms\]$/),
    expect.stringMatching(
      /└─ background_job Reports\.Fail {2}\[CONSUMER, \d+ ms\] {2}status=ERROR "The report source is unavailable"$/,
    ),
  ]);
  expect(lines.filter((line) => line.includes('background_job.message:'))).toEqual([
    expect.stringMatching(/^ {3}│ {4}\+\d+ ms background_job\.message: Month 1 of 2 done$/),
    expect.stringMatching(/^ {3}│ {4}\+\d+ ms background_job\.message: Month 2 of 2 done$/),
  ]);
});

test("a scheduled job's run fired by its schedule starts a trace of its own, even when the job was written inside a span; runNow() inside a span is that span's child", async () => {
  const manager = createManager({ handlers: HANDLERS });
  const tracer = trace.getTracer('test');
  const scheduled = await tracer.startActiveSpan('POST /schedules', async (span) => {
    const job = manager.scheduledJobs.create({
      name: 'Nightly',
      methodName: 'Traced.Report',
      params: ['scheduled'],
      schedule: { cron: '* * * * * *' },
    });
    await job.write(); // arms the schedule's timer here, inside the request's span
    span.end();
    return job;
  });
  await eventually(() =>
    expect(exporter.getFinishedSpans().map((span) => span.name)).toContain('background_job Traced.Report'),
  );
  const fired = exporter.getFinishedSpans().find((span) => span.name === 'background_job Traced.Report')!;
  expect(fired.parentSpanContext).toBeUndefined();
  scheduled.use = false;
  await scheduled.write();
  exporter.reset();

  const ran = await tracer.startActiveSpan('POST /run-now', async (span) => {
    const run = await scheduled.runNow();
    span.end();
    return { run, route: span.spanContext() };
  });
  await manager.waitForCompletion([ran.run]);
  const now = spanNamed('background_job Traced.Report');
  expect(now.spanContext().traceId).toBe(ran.route.traceId);
  expect(now.parentSpanContext?.spanId).toBe(ran.route.spanId);
});
