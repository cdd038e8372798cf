// What of a trace a job carries, apart from the OpenTelemetry API: the stores and the thread protocol name these
// shapes, and the package's type declarations reach them, so they name no type of that optional peer.

/**
 * A trace context as it travels with a job: the propagation fields of the context active at `execute` (W3C
 * `traceparent` and `tracestate`, and whatever else the application's propagator writes, B3 say).
 */
export type TraceCarrier = Readonly<Record<string, string>>;

/** What a job's run needs from its `execute` call to trace it. */
export interface JobTrace {
  /** The context active at `execute`; `undefined` when none was (the job's span is then a root). */
  readonly carrier: TraceCarrier | undefined;
  /**
   * When its store took the job (ms since the epoch): the span's queue time runs from it; `undefined` for a job that
   * started there and then, which waited for nothing.
   */
  readonly executedAt: number | undefined;
}
