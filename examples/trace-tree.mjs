// Renders one trace as docs/production.md shows it: an HTTP request whose route starts two background jobs, traced
// with the OpenTelemetry SDK's in-memory exporter and printed as an indented tree. Run from the repository root
// after `npm run build`: node examples/trace-tree.mjs
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { fileURLToPath } from 'node:url';
import { backgroundJobs } from 'web-background-jobs';

// What an application registers at start-up (@opentelemetry/sdk-node does the same with its own exporter).
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const jobs = backgroundJobs({
  config: fileURLToPath(new URL('../config/web.config', import.meta.url)), // the demo's: it attaches the library
  handlers: fileURLToPath(new URL('./handlers', import.meta.url)),
  isolation: 'inline',
  logger: { warn() {}, error() {} }, // Reports.Fail's failure shows in the trace, not in the log
});
const app = express();
app.use(jobs);
// An HTTP instrumentation would make this span; here the route makes it, so the example needs no other package.
app.post('/reports', (req, res) =>
  trace.getTracer('app').startActiveSpan('POST /reports', { kind: SpanKind.SERVER }, async (span) => {
    const started = [
      await req.backgroundJobs.execute('Reports.Build', [2], 'monthly', 'Monthly report'),
      await req.backgroundJobs.execute('Reports.Fail'),
    ];
    span.end();
    res.status(202).json(started.map((job) => job.uuid));
  }),
);
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const response = await fetch(`http://127.0.0.1:${server.address().port}/reports`, { method: 'POST' });
const uuids = await response.json();
await jobs.manager.waitForExecutionCompletion(
  await Promise.all(uuids.map((uuid) => jobs.manager.findByUUID(uuid))),
);
server.close();
await jobs.manager.close();

const spans = exporter.getFinishedSpans();
const ms = (time) => time[0] * 1000 + time[1] / 1e6;
const root = spans.find((span) => span.name === 'POST /reports'); // not the demo's Heartbeat, if it ran meanwhile
/** One span and its children, each line indented under its parent. */
function render(span, indent, last) {
  const branch = indent === '' ? '' : last ? '└─ ' : '├─ ';
  const status = span.status.code === SpanStatusCode.ERROR ? `  status=ERROR "${span.status.message}"` : '';
  const lines = [
    `${indent}${branch}${span.name}  [${SpanKind[span.kind]}, ${Math.round(ms(span.duration))} ms]${status}`,
  ];
  const inner = indent === '' ? '   ' : `${indent}${last ? '   ' : '│  '}`;
  for (const [name, value] of Object.entries(span.attributes))
    lines.push(`${inner}  ${name} = ${JSON.stringify(value)}`);
  for (const event of span.events) {
    const at = Math.round(ms(event.time) - ms(span.startTime));
    lines.push(`${inner}  +${at} ms ${event.name}: ${Object.values(event.attributes ?? {}).join(' ')}`);
  }
  const children = spans
    .filter((each) => each.parentSpanContext?.spanId === span.spanContext().spanId)
    .sort((one, other) => ms(one.startTime) - ms(other.startTime));
  children.forEach((child, index) => lines.push(...render(child, inner, index === children.length - 1)));
  return lines;
}
console.log(`trace ${root.spanContext().traceId}`);
console.log(render(root, '', true).join('\n'));
