import { INVALID_SPAN_CONTEXT, type Span, trace, type Tracer } from '@opentelemetry/api';
import { createManager, recordingLogger } from '../helpers';

// An application's tracer that fails to start a span (a faulty sampler or exporter, installed for the process): the
// job runs untraced, the failure is logged, and no job stays Active.
let failures = 0;
const faulty: Tracer = {
  startSpan(): Span {
    if (failures > 0) {
      failures -= 1;
      throw new Error('the sampler failed');
    }
    return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  },
  startActiveSpan(): never {
    throw new Error('not used by the library');
  },
};
trace.setGlobalTracerProvider({ getTracer: () => faulty });

test.each(['inline', 'thread'] as const)(
  "a job whose span the application's tracer fails to start runs untraced, the failure logged [%s]",
  async (isolation) => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, maxConcurrency: 1, logger });
    failures = 1;
    const untraced = await manager.execute('Reports.Build', [1, 'untraced']);
    const next = await manager.execute('Reports.Build', [2, 'traced']);
    await manager.waitForCompletion([untraced, next]);
    expect([untraced.state, next.state]).toEqual(['Completed', 'Completed']);
    expect(logger.lines.error).toEqual([
      `[web-background-jobs] Background job ${untraced.uuid} (Reports.Build) runs untraced: the application's tracer failed to start its span`,
    ]);
  },
);
