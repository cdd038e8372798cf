// How a job's trace context travels: taken where `execute` is called, stored with the job (in memory, or in its
// Redis record), and read back where the job runs: the main thread, a worker thread, or another instance.
import type * as OTel from '@opentelemetry/api';
import { loadOptionalPeer } from '../config/optionalPeer';
import type { TraceCarrier } from './traceCarrier';

/** The OpenTelemetry API, as an application that traces installs it. */
export type OpenTelemetry = typeof OTel;

/** `undefined` until first asked for; `null` when the application has not installed the package. */
let api: OpenTelemetry | null | undefined;

/**
 * `@opentelemetry/api` when the application has installed it, else `undefined`: traces are an optional peer, and
 * an application without it neither traces nor fails. Loaded once, at the first job.
 * @throws BackgroundJobsError `WBJ_CONFIG` when it is installed but fails to load.
 */
export function openTelemetry(): OpenTelemetry | undefined {
  // Not `??=`: a package found missing (null) is not looked for again at each job, which cost a throw every time.
  if (api === undefined) {
    api =
      loadOptionalPeer<OpenTelemetry>({
        name: '@opentelemetry/api',
        neededBy: 'web-background-jobs traces jobs with @opentelemetry/api when the application has it',
        install: 'npm install @opentelemetry/api',
      }) ?? null;
  }
  return api ?? undefined;
}

/**
 * The trace context of an `execute` called now, to be the parent of the job's span wherever it runs; `undefined`
 * when no span is active here, or the application has not installed `@opentelemetry/api`.
 */
export function traceOfExecute(): TraceCarrier | undefined {
  const otel = openTelemetry();
  return otel === undefined ? undefined : carrierOf(otel, otel.context.active());
}

/**
 * The propagation fields of `context` when a span is active in it: through the application's propagator when it
 * registered one, else (the API alone registers none) a W3C `traceparent` and `tracestate` made from that span.
 */
export function carrierOf(otel: OpenTelemetry, context: OTel.Context): TraceCarrier | undefined {
  // Nothing active (no SDK, or no trace around the call): nothing to carry, and no propagator to ask. The root
  // context, which is all the API alone ever gives, is told at once.
  if (context === otel.ROOT_CONTEXT) return undefined;
  const span = otel.trace.getSpanContext(context);
  if (span === undefined || !otel.isSpanContextValid(span)) return undefined;
  const carrier: Record<string, string> = {};
  otel.propagation.inject(context, carrier);
  if (carrier.traceparent === undefined) {
    const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
    carrier.traceparent = `00-${span.traceId}-${span.spanId}-${flags}`;
    const state = span.traceState?.serialize();
    if (state) carrier.tracestate = state;
  }
  return carrier;
}

/** W3C Trace Context: version (not ff), trace id, parent span id, flags; a later version may append fields. */
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/;

/**
 * The context a job's span is the child of: what the application's propagator reads from `carrier`, else the span
 * its `traceparent` names. The carrier may come from a Redis record another producer wrote: anything that is not a
 * string field is ignored, and a carrier that names no valid span gives the root context.
 */
export function contextOf(otel: OpenTelemetry, carrier: TraceCarrier | undefined): OTel.Context {
  const root = otel.ROOT_CONTEXT;
  if (typeof carrier !== 'object' || carrier === null) return root;
  const read: Record<string, string> = {};
  for (const [field, value] of Object.entries(carrier)) if (typeof value === 'string') read[field] = value;
  const extracted = otel.propagation.extract(root, read);
  if (otel.trace.getSpanContext(extracted) !== undefined) return extracted;
  const parts = TRACEPARENT.exec(read.traceparent ?? '');
  if (parts === null || parts[1] === 'ff' || (parts[1] === '00' && read.traceparent!.length !== 55))
    return extracted;
  const span: OTel.SpanContext = {
    traceId: parts[2]!,
    spanId: parts[3]!,
    traceFlags: parseInt(parts[4]!, 16),
    isRemote: true,
    ...(read.tracestate !== undefined && { traceState: otel.createTraceState(read.tracestate) }),
  };
  return otel.isSpanContextValid(span) ? otel.trace.setSpanContext(extracted, span) : extracted;
}

/**
 * Calls `fn` with the context `carrier` names active, for a handler in a worker thread whose own spans continue
 * the job's trace (if the application registered a context manager there); at once when there is none.
 */
export function inTraceContext<T>(carrier: TraceCarrier | undefined, fn: () => T): T {
  const otel = carrier === undefined ? undefined : openTelemetry();
  return otel === undefined ? fn() : otel.context.with(contextOf(otel, carrier), fn);
}
