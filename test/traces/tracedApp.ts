import path from 'node:path';
import { context, type Span, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import express from 'express';
import request from 'supertest';
import type {
  BackgroundJobsMiddlewareOptions,
  BackgroundJob,
  BackgroundJobsManager,
} from 'web-background-jobs';
import { appWithJobs } from '../helpers';

// The SDK as an application registers it, once per test file (Jest gives each its own globals): an in-memory
// exporter, and a context manager so that a span started around an Express route is active in it. No propagator:
// the library then carries the W3C traceparent itself.
export const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
afterEach(() => exporter.reset());

/** The handlers of the trace tests (`Traced.Report`, `Traced.Fail`, `Traced.Wait`). */
export const HANDLERS = path.join(__dirname, '..', 'fixtures', 'traces');

/** The ids of a span, as they cross a process. */
export interface SpanIds {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * An app on the trace handlers whose route `POST /reports` executes a job (key `monthly`) inside a span of its own,
 * `POST /reports`, as an HTTP instrumentation would; its manager is closed after the test.
 */
export function tracedApp(options: BackgroundJobsMiddlewareOptions) {
  const { app, manager } = appWithJobs({ handlers: HANDLERS, ...options });
  app.use(express.json());
  app.post('/reports', (req, res) =>
    trace.getTracer('test').startActiveSpan('POST /reports', async (span: Span) => {
      const { method, params } = req.body as { method: string; params: unknown[] };
      const job = await req.backgroundJobs.execute(method, params, 'monthly');
      span.end();
      res.json({ uuid: job.uuid, route: span.spanContext() });
    }),
  );
  return { app, manager };
}

/** Calls the route of {@link tracedApp} and waits for the job it executed to end. */
export async function runRoute(
  app: express.Express,
  manager: BackgroundJobsManager,
  method: string,
  params: unknown[] = [],
): Promise<{ job: BackgroundJob; route: SpanIds }> {
  const { body } = await request(app).post('/reports').send({ method, params }).expect(200);
  const job = (await manager.findByUUID(body.uuid))!;
  await manager.waitForExecutionCompletion([job]);
  return { job, route: body.route };
}
