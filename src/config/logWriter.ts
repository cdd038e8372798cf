import { safely } from '../jobs/safely';
import type { LogFields, Logger, StructuredLogger } from './options';

export type { LogFields };

/**
 * How the library calls its logger: `text` as console (`warn(line)`, `error(line, error)`); `object-first` as pino
 * and bunyan (`warn(fields, line)`); `message-first` as winston (`warn(line, fields)`). `auto` tells them apart: a
 * logger with a `child()` method is structured, and message-first if it has winston's `transports`.
 */
export type LogFormat = 'auto' | 'text' | 'object-first' | 'message-first';

/** Writes one line at `level`, with its fields. */
export type WriteLog = (level: 'warn' | 'error', line: string, fields?: LogFields) => void;

/** A logger's methods, as the structured formats call them. */
type AnyArguments = Record<'warn' | 'error', (first: unknown, second?: unknown) => void>;

/** The one place that turns a line and its fields into a call of the application's logger. */
export function logWriter(logger: Logger | StructuredLogger, format: LogFormat | undefined): WriteLog {
  const as = format === undefined || format === 'auto' ? detected(logger) : format;
  const calls = logger as unknown as AnyArguments;
  if (as === 'object-first') return (level, line, fields) => calls[level](withoutGaps(fields), line);
  if (as === 'message-first') return (level, line, fields) => calls[level](line, withoutGaps(fields));
  // console: the line, and for an error the error itself, as before fields existed.
  const text = logger as Logger;
  return (level, line, fields) => (level === 'warn' ? text.warn(line) : text.error(line, fields?.err));
}

/** The fields of a job a line is about. */
export function jobLogFields(
  job: { uuid: string; methodName: string; key: string },
  err?: unknown,
): LogFields {
  return { uuid: job.uuid, method: job.methodName, key: job.key, ...errorFields(err) };
}

/** The fields of an error: itself as `err`, and its `code` when it has one (every BackgroundJobsError does). */
export function errorFields(err: unknown): LogFields {
  if (err === undefined) return {};
  const code = safely(() => (err as { code?: unknown } | null)?.code, undefined); // a thrown value's getter may throw
  return typeof code === 'string' ? { code, err } : { err };
}

function detected(logger: Logger | StructuredLogger): Exclude<LogFormat, 'auto'> {
  const shape = logger as unknown as { child?: unknown; transports?: unknown };
  if (typeof shape.child !== 'function') return 'text';
  return Array.isArray(shape.transports) ? 'message-first' : 'object-first';
}

/** Fields without those left undefined: a JSON log line then holds only what is known. */
function withoutGaps(fields: LogFields | undefined): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields ?? {})) if (value !== undefined) kept[name] = value;
  return kept;
}
