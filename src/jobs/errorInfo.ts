import { readFileSync } from 'node:fs';
import { inspect, types } from 'node:util';
import { frameLocation, handlerRelative } from './redaction';
import { safely } from './safely';

/** Why a job failed, shaped like 1C's ИнформацияОбОшибке. A plain frozen object. */
export interface ErrorInfo {
  /** The thrown error's message (1C: Описание). */
  readonly description: string;
  /** The handler file that threw, relative to the handlers folder; else the first file in the stack (1C: ИмяМодуля). */
  readonly moduleName: string;
  /** Line in {@link ErrorInfo.moduleName}, 0 when unknown (1C: НомерСтроки). */
  readonly lineNumber: number;
  /** Text of that line when it is in a handler file, else empty (1C: ИсходнаяСтрока). */
  readonly sourceLine: string;
  /** `{module(line)}: description`, followed by each cause (1C: ПодробноеПредставлениеОшибки). */
  readonly detailedDescription: string;
  /** The error's `cause`, when it has one (1C: Причина). */
  readonly cause?: ErrorInfo;
  /** The JavaScript stack, empty when a non-Error was thrown. */
  readonly stack: string;
  /** The error's `code` when it is a string (`WBJ_JOB_TIMEOUT`, `ERR_WORKER_OUT_OF_MEMORY`, `ENOENT`…); beyond 1C. */
  readonly code?: string;
}

/** How deep a chain of causes is followed before it is cut. */
const MAX_CAUSES = 8;

/**
 * Builds an {@link ErrorInfo} from anything a handler threw: an Error, a string, `undefined`, an object, or an
 * object whose getters throw. It never throws itself.
 */
export function errorInfoFrom(thrown: unknown, handlersFolder: string): ErrorInfo {
  try {
    return build(thrown, handlersFolder, new Set());
  } catch (failure) {
    const reason = safely(() => String(failure), 'unknown reason');
    return Object.freeze({
      description: `The job failed, and describing its error failed too (${reason})`,
      moduleName: '',
      lineNumber: 0,
      sourceLine: '',
      detailedDescription: '',
      stack: '',
    });
  }
}

function build(thrown: unknown, handlersFolder: string, seen: Set<unknown>): ErrorInfo {
  seen.add(thrown);
  // Errors from another realm (a worker's uncaught exception is rebuilt without Error's prototype) count too.
  const isError =
    thrown instanceof Error ||
    types.isNativeError(thrown) ||
    safely(() => {
      const candidate = thrown as { message?: unknown; stack?: unknown } | null;
      return typeof candidate?.message === 'string' && typeof candidate.stack === 'string';
    }, false);
  const error = thrown as Error;
  const description = isError
    ? safely(() => String(error.message), '') || nameOf(error)
    : describeThrown(thrown);
  const stack = isError ? safely(() => String(error.stack ?? ''), '') : '';
  const frame = locate(stack, handlersFolder);
  const causeValue = isError ? safely(() => error.cause, undefined) : undefined;
  const cause =
    causeValue !== undefined && !seen.has(causeValue) && seen.size < MAX_CAUSES
      ? build(causeValue, handlersFolder, seen)
      : undefined;
  const name = isError ? nameOf(error) : '';
  const headline = `${frame.moduleName ? `{${frame.moduleName}(${frame.lineNumber})}: ` : ''}${
    name && name !== 'Error' ? `${name}: ` : ''
  }${description}`;
  const detailed = cause ? `${headline}\ncaused by: ${cause.detailedDescription}` : headline;
  const code = isError ? safely(() => (error as { code?: unknown }).code, undefined) : undefined;
  // `cause` and `code` only when there is one, as 1C's Причина is Неопределено otherwise.
  return Object.freeze({
    description,
    ...frame,
    detailedDescription: detailed,
    stack,
    ...(typeof code === 'string' && { code }),
    ...(cause && { cause }),
  });
}

/** An {@link ErrorInfo} that crossed a thread boundary (structured clone drops freezing): frozen again, causes too. */
export function reviveErrorInfo(info: ErrorInfo): ErrorInfo {
  return Object.freeze({ ...info, ...(info.cause && { cause: reviveErrorInfo(info.cause) }) });
}

/** A thrown non-Error, as a readable sentence (1C only throws errors; JavaScript throws anything). */
function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown === undefined || thrown === null) return `The handler threw ${thrown} instead of an Error`;
  return safely(
    () => inspect(thrown, { depth: 2, breakLength: Infinity }),
    'The handler threw an unprintable value',
  );
}

interface Frame {
  moduleName: string;
  lineNumber: number;
  sourceLine: string;
}

/** The first stack frame inside the handlers folder, else the first frame with a file. */
function locate(stack: string, handlersFolder: string): Frame {
  let first: Frame | undefined;
  for (const line of stack.split('\n')) {
    const location = frameLocation(line);
    if (location === undefined) continue;
    const { file, lineNumber } = location;
    const relative = handlerRelative(handlersFolder, file);
    if (relative !== undefined) {
      return { moduleName: relative, lineNumber, sourceLine: sourceLineOf(file, lineNumber) };
    }
    first ??= { moduleName: file, lineNumber, sourceLine: '' };
  }
  return first ?? { moduleName: '', lineNumber: 0, sourceLine: '' };
}

function sourceLineOf(file: string, lineNumber: number): string {
  return safely(() => readFileSync(file, 'utf8').split('\n')[lineNumber - 1]?.trim() ?? '', '');
}

/** An error's `name` when it is text; an error-like object without one (`{ message, stack }`) is an `Error`. */
function nameOf(error: Error): string {
  return safely(() => (typeof error.name === 'string' && error.name !== '' ? error.name : 'Error'), 'Error');
}
