import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { eventually, ROOT } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';
import { exporter, HANDLERS, runRoute, tracedApp } from './tracedApp';

// One trace across two processes on one Redis: a web-only instance (this one) executes a job in an HTTP request's
// span, and a worker instance in a process of its own runs it and exports its spans (test/fixtures/process/traced-worker.mjs).
jest.setTimeout(60_000);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

/** A span as the worker process prints it. */
interface ExportedSpan {
  readonly name: string;
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly attributes: Record<string, unknown>;
  readonly events: { name: string; attributes: Record<string, unknown> }[];
}

const workers = new Set<ChildProcess>();
afterEach(() =>
  Promise.all(
    [...workers].map(
      (child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))),
    ),
  ).then(() => workers.clear()),
);

/** Starts the worker process on `queueName` and resolves once its manager is built, with the spans it prints. */
async function tracedWorker(queueName: string, isolation: string): Promise<ExportedSpan[]> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'test/fixtures/process/traced-worker.mjs'), redis.url, queueName, HANDLERS, isolation],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  workers.add(child);
  const spans: ExportedSpan[] = [];
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n');
      output = lines.pop()!;
      for (const line of lines) {
        const printed = JSON.parse(line) as ExportedSpan | { ready: true };
        if ('ready' in printed) resolve();
        else spans.push(printed);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`The worker process exited with ${code} before it was ready`)),
    );
  });
  return spans;
}

test.each(['inline', 'thread'])(
  'a job executed in an HTTP request on a web-only instance and run by another process [%s there] is a span of the request trace, child of the route span, with its handler in its context',
  async (isolation) => {
    const queueName = `traces-${isolation}`;
    const spans = await tracedWorker(queueName, isolation);
    const { app, manager } = tracedApp({ store: redis.url, queueName, worker: false });

    const { job, route } = await runRoute(app, manager, 'Traced.Report', ['from the web']);
    expect(job.state).toBe('Completed');
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['POST /reports']);

    await eventually(() => expect(spans.map((span) => span.name)).toContain('background_job Traced.Report'));
    const span = spans.find((each) => each.name === 'background_job Traced.Report')!;
    expect(span).toMatchObject({
      kind: SpanKind.CONSUMER,
      traceId: route.traceId,
      parentSpanId: route.spanId,
      attributes: {
        'background_job.uuid': job.uuid,
        'background_job.method': 'Traced.Report',
        'background_job.key': 'monthly',
        'background_job.state': 'Completed',
      },
      events: [
        { name: 'background_job.message', attributes: { 'background_job.message.text': 'from the web' } },
      ],
    });
    expect(span.attributes['background_job.queue_seconds']).toBeGreaterThanOrEqual(0);
    expect(job.result).toEqual({ traceId: route.traceId, spanId: span.spanId });
  },
);
