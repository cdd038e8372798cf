import { readFileSync } from 'node:fs';
import { inspect, types } from 'node:util';
import { ALIASES, type AliasMembers, applyAliases } from '../compat/aliases';
import { frameLocation, handlerRelative, redactModuleName, redactText } from './redaction';
import { safely } from './safely';

/** The fields of an {@link ErrorInfo}: what JSON, Redis and worker threads carry. */
export interface ErrorInfoFields {
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

/**
 * Why a job failed, shaped like 1C's ИнформацияОбОшибке: a frozen object whose fields are its own, in English (so
 * JSON shows those), and whose 1C names (`Описание`, `ИмяМодуля`, `НомерСтроки`, `ИсходнаяСтрока`, `Причина`,
 * and the English `Description`…) are getters beside them.
 */
export interface ErrorInfo extends ErrorInfoFields, AliasMembers<ErrorInfoFields, typeof ALIASES.errorInfo> {}

/** What every ErrorInfo inherits: the getters of its 1C names, not enumerable, so JSON and spreads skip them. */
const ERROR_INFO_NAMES: object = {};
applyAliases(ERROR_INFO_NAMES, ALIASES.errorInfo);
Object.freeze(ERROR_INFO_NAMES);

/**
 * The one place an {@link ErrorInfo} is made, on every path (thrown here, rebuilt after a worker thread or Redis,
 * redacted for a client), so none forgets its 1C names: a structured clone or JSON keeps only the fields.
 */
export function makeErrorInfo(fields: ErrorInfoFields): ErrorInfo {
  return Object.freeze(Object.assign(Object.create(ERROR_INFO_NAMES) as ErrorInfo, fields));
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
    return makeErrorInfo({
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
  const isError = isErrorLike(thrown);
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
  return makeErrorInfo({
    description,
    ...frame,
    detailedDescription: detailed,
    stack,
    ...(typeof code === 'string' && { code }),
    ...(cause && { cause }),
  });
}

/**
 * An {@link ErrorInfo} that crossed a thread boundary or was read from Redis (a copy keeps only the fields): frozen
 * again with its 1C names, causes too.
 */
export function reviveErrorInfo(info: ErrorInfoFields): ErrorInfo {
  return makeErrorInfo({ ...info, ...(info.cause && { cause: reviveErrorInfo(info.cause) }) });
}

/**
 * Whether `value` is an Error: one from another realm (a worker's uncaught exception is rebuilt without Error's
 * prototype) counts, and so does an error-like `{ message, stack }` some libraries throw. It never throws.
 */
export function isErrorLike(value: unknown): boolean {
  return (
    value instanceof Error ||
    types.isNativeError(value) ||
    safely(() => {
      const candidate = value as { message?: unknown; stack?: unknown } | null;
      return typeof candidate?.message === 'string' && typeof candidate.stack === 'string';
    }, false)
  );
}

/** Whether `value` is an {@link ErrorInfo} made here (a copy that lost its 1C names is not, until revived). */
export function isErrorInfo(value: unknown): value is ErrorInfo {
  // A revoked Proxy throws on the question: it is not an ErrorInfo.
  return safely(() => Object.getPrototypeOf(value) === ERROR_INFO_NAMES, false);
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

/**
 * An {@link ErrorInfo} as `job.toJSON()` and the dashboard send it: every path a field holds — a stack frame's
 * file (`eval` origins, `file://` URLs and Windows paths too), a path quoted in a message, `moduleName` — is shown
 * relative to the handlers folder when it lies inside it, and as `<outside the handlers folder>` otherwise; causes
 * too. The full ErrorInfo stays on the job and in the log. It never throws.
 */
export function redactErrorInfo(info: ErrorInfo, handlersPath: string): ErrorInfo {
  const redact = (text: unknown): string => redactText(asText(text), handlersPath);
  const moduleName = redactModuleName(asText(info.moduleName), handlersPath);
  const cause = info.cause && redactErrorInfo(info.cause, handlersPath);
  return makeErrorInfo({
    description: redact(info.description),
    moduleName,
    lineNumber: typeof info.lineNumber === 'number' ? info.lineNumber : 0,
    sourceLine: redact(info.sourceLine),
    detailedDescription: redactDetailed(info, moduleName, cause, redact),
    stack: redact(info.stack),
    ...(info.code !== undefined && { code: redact(info.code) }),
    ...(cause && { cause }),
  });
}

/**
 * `{module(line)}: text`, then `caused by: ` and the cause's: the module is replaced by its redacted name as a
 * whole (it may hold spaces and parentheses), the cause by its redacted details, the rest redacted as text.
 */
function redactDetailed(
  info: ErrorInfo,
  moduleName: string,
  cause: ErrorInfo | undefined,
  redact: (text: string) => string,
): string {
  const detailed = asText(info.detailedDescription);
  const causeTail = info.cause ? `\ncaused by: ${asText(info.cause.detailedDescription)}` : '';
  const ownsTail = cause !== undefined && detailed.endsWith(causeTail);
  const headline = ownsTail ? detailed.slice(0, detailed.length - causeTail.length) : detailed;
  const location = info.moduleName ? `{${info.moduleName}(${info.lineNumber})}: ` : '';
  const shownHeadline =
    location !== '' && headline.startsWith(location)
      ? `{${moduleName}(${info.lineNumber})}: ${redact(headline.slice(location.length))}`
      : redact(headline);
  return ownsTail ? `${shownHeadline}\ncaused by: ${cause.detailedDescription}` : shownHeadline;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
