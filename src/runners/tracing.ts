// The span of a job's run, where it runs: `background_job <Module.Method>`, a child of the span active at `execute`.
import type * as OTel from '@opentelemetry/api';
import type { BackgroundJob } from '../jobs/BackgroundJob';
import type { ErrorInfo } from '../jobs/errorInfo';
import { BackgroundJobState } from '../jobs/BackgroundJobState';
import type { JobReport } from '../jobs/jobReports';
import type { JobTrace, TraceCarrier } from './traceCarrier';
import { carrierOf, contextOf, openTelemetry, type OpenTelemetry } from './tracingContext';

/** The name the library's tracer carries, as OpenTelemetry names an instrumentation scope. */
const SCOPE = 'web-background-jobs';

/**
 * Told when the application's tracer throws (a faulty sampler, span processor or exporter): what it failed to do
 * for `job`. The job runs and ends as if untraced.
 */
export type TracerFailure = (job: BackgroundJob, failedTo: string, error: unknown) => void;

/**
 * Starts the spans of the jobs an executor runs. Without `@opentelemetry/api` there is none; with it but no SDK
 * registered, the API's tracer makes spans that record nothing, and a job costs one such span, dropped at once.
 */
export class JobTracer {
  readonly #otel: OpenTelemetry;
  readonly #tracer: OTel.Tracer;
  /** One object for every span: a job whose span records nothing allocates as little as it can. */
  readonly #options: OTel.SpanOptions;
  readonly #failed: TracerFailure;

  private constructor(otel: OpenTelemetry, failed: TracerFailure) {
    this.#otel = otel;
    this.#failed = failed;
    this.#options = { kind: otel.SpanKind.CONSUMER };
    // The API's proxy tracer: an SDK registered later still gets the spans.
    this.#tracer = otel.trace.getTracer(SCOPE);
  }

  /**
   * The tracer of an executor, `undefined` when the application has not installed `@opentelemetry/api`.
   * @throws BackgroundJobsError `WBJ_CONFIG` when it is installed but fails to load.
   */
  static create(failed: TracerFailure): JobTracer | undefined {
    const otel = openTelemetry();
    return otel === undefined ? undefined : new JobTracer(otel, failed);
  }

  /**
   * The span of `job`'s run, starting now, or `undefined` when nothing records it (no SDK, or not sampled). It ends
   * when the job does, however it ends: completed, failed, cancelled or timed out.
   */
  start(job: BackgroundJob, trace: JobTrace | undefined): JobSpan | undefined {
    try {
      return this.#start(job, trace);
    } catch (error) {
      this.#failed(job, 'start its span, so it runs untraced', error);
      return undefined;
    }
  }

  #start(job: BackgroundJob, trace: JobTrace | undefined): JobSpan | undefined {
    const otel = this.#otel;
    const parent = contextOf(otel, trace?.carrier);
    const span = this.#tracer.startSpan(`background_job ${job.methodName}`, this.#options, parent);
    if (!span.isRecording()) return undefined;
    span.setAttributes({
      'background_job.uuid': job.uuid,
      'background_job.method': job.methodName,
      'background_job.key': job.key,
      'background_job.attempt': job.attempt,
    });
    const begin = job.begin?.getTime() ?? Date.now();
    const executedAt = trace?.executedAt ?? begin;
    // Instances' clocks differ a little: a job never waited less than nothing.
    span.setAttribute('background_job.queue_seconds', Math.max(0, begin - executedAt) / 1000);
    return new JobSpan(otel, span, otel.trace.setSpan(parent, span), job, this.#failed);
  }
}

/** Calls `fn` with `span` active when the job is traced, else just calls it. */
export function inSpan<T>(span: JobSpan | undefined, fn: () => T): T {
  return span === undefined ? fn() : span.around(fn);
}

/** A job's span while it runs: its context for the handler, its messages as events, its end with the job's. */
export class JobSpan {
  readonly #otel: OpenTelemetry;
  readonly #span: OTel.Span;
  readonly #context: OTel.Context;

  readonly #job: BackgroundJob;
  readonly #failed: TracerFailure;

  /** Stops waiting for the job's end, for an attempt that ends before the job does. */
  readonly #unwatch: () => void;

  constructor(
    otel: OpenTelemetry,
    span: OTel.Span,
    context: OTel.Context,
    job: BackgroundJob,
    failed: TracerFailure,
  ) {
    this.#otel = otel;
    this.#span = span;
    this.#context = context;
    this.#job = job;
    this.#failed = failed;
    this.#unwatch = job.whenFinished(() => this.#end(job.state, job.errorInfo, job.end));
  }

  /** The span's context as it travels to a worker thread, where the handler's own spans become its children. */
  get carrier(): TraceCarrier | undefined {
    return carrierOf(this.#otel, this.#context);
  }

  /** Runs `fn` with the span active: an inline handler's own spans become its children. */
  around<T>(fn: () => T): T {
    return this.#otel.context.with(this.#context, fn);
  }

  /** A report the handler made: a message becomes an event of the span, progress does not. */
  readonly report = (report: JobReport): void => {
    if (report.kind !== 'message') return;
    try {
      this.#span.addEvent(
        'background_job.message',
        { 'background_job.message.text': report.text },
        report.date,
      );
    } catch (error) {
      this.#failed(this.#job, 'record a message of it', error); // the handler's message() is not failed by it
    }
  };

  /** Ends the span of an attempt that failed with `errorInfo` while the job runs again (execute's `attempts`). */
  endAttempt(errorInfo: ErrorInfo | undefined): void {
    this.#unwatch();
    this.#end(BackgroundJobState.Failed, errorInfo, undefined);
  }

  /** Ends the span: called among the job's end callbacks, which the waits on it follow, so it never throws. */
  #end(state: BackgroundJobState, errorInfo: ErrorInfo | undefined, end: Date | undefined): void {
    const span = this.#span;
    try {
      span.setAttribute('background_job.state', state);
      if (state === BackgroundJobState.Failed && errorInfo !== undefined) {
        if (errorInfo.code !== undefined) span.setAttribute('error.type', errorInfo.code);
        span.setStatus({ code: this.#otel.SpanStatusCode.ERROR, message: errorInfo.description });
      }
      span.end(end);
    } catch (error) {
      this.#failed(this.#job, 'end its span', error);
    }
  }
}
