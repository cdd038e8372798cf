import { INVALID_SPAN_CONTEXT, type Span, trace, type Tracer } from '@opentelemetry/api';
import { createManager, recordingLogger } from '../helpers';

// An application's tracer that throws (a faulty sampler, span processor or exporter, installed for the process):
// the job runs and ends as if untraced, every wait on it ends with it, and the failure is logged.
type Fault = 'start' | 'message' | 'end';
let fault: Fault | undefined;
/** A span of the tracer: the first one after `fault` is set fails so. */
function faultySpan(): Span {
  const failing = fault;
  fault = undefined;
  if (failing === 'start') throw new Error('the sampler failed');
  const base = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const span: Span = Object.assign(Object.create(Object.getPrototypeOf(base) as object) as Span, base);
  span.isRecording = () => true; // recorded: the library makes it the job's span
  if (failing === 'message')
    span.addEvent = () => {
      throw new Error('the span processor failed');
    };
  if (failing === 'end')
    span.end = () => {
      throw new Error('the exporter failed');
    };
  return span;
}
const faulty: Tracer = {
  startSpan: faultySpan,
  startActiveSpan(): never {
    throw new Error('not used by the library');
  },
};
trace.setGlobalTracerProvider({ getTracer: () => faulty });

const FAILED_TO: Record<Fault, string> = {
  start: 'start its span, so it runs untraced',
  message: 'record a message of it',
  end: 'end its span',
};

describe.each(['inline', 'thread'] as const)("an application's tracer that throws [%s]", (isolation) => {
  test.each([
    ['start its span', 'start'],
    ['record a message', 'message'],
    ['end its span', 'end'],
  ] as const)(
    'one failing to %s leaves the job to run and end as if untraced, every wait on it ending with it, the failure logged',
    async (_what, failing) => {
      const logger = recordingLogger();
      const manager = createManager({ isolation, maxConcurrency: 1, logger });
      fault = failing;
      const job = await manager.execute('Jobs.Messages', ['one']);
      const waited = manager.waitForCompletion([job]); // begun while it runs
      const next = await manager.execute('Jobs.Messages', ['two']);
      await waited;
      await manager.waitForCompletion([next]);
      expect([job.state, job.getUserMessages().map(({ text }) => text), next.state]).toEqual([
        'Completed',
        ['one'],
        'Completed',
      ]);
      expect(logger.lines.error).toEqual([
        `[web-background-jobs] Background job ${job.uuid} (Jobs.Messages): the application's tracer failed to ${FAILED_TO[failing]}`,
      ]);
    },
  );
});
