// On the main thread: what a worker posts, checked before any of it is used (the worker runs user code).
import { types } from 'node:util';
import type { ErrorInfo } from '../jobs/errorInfo';
import type {
  ManagerCallMember,
  ManagerCallNote,
  RunEnd,
  RunNote,
  ThreadJobOutcome,
  WorkerNote,
} from './threadProtocol';

/** What a job's `ФоновыеЗадания` may ask the main thread: its own members, a view's cancel() and waits. */
const CALL_MEMBERS: ReadonlySet<string> = new Set<ManagerCallMember>([
  'execute',
  'waitForCompletion',
  'waitForExecutionCompletion',
  'getBackgroundJobs',
  'findByUUID',
  'cancel',
  'settle',
]);

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null;
// Not `instanceof`: a Date cloned from a worker may belong to another realm (a vm context, as under Jest).
const isDate = (value: unknown): value is Date => types.isDate(value) && !Number.isNaN(value.getTime());
const optionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';

const TEXT_FIELDS = ['description', 'moduleName', 'sourceLine', 'detailedDescription', 'stack'] as const;

/** An ErrorInfo as it crosses: its text fields, and its cause (checked to the same depth a worker sends). */
function isErrorInfo(value: unknown, depth = 0): value is ErrorInfo {
  if (!isObject(value) || depth > 32) return false;
  const { lineNumber, cause } = value;
  return (
    TEXT_FIELDS.every((field) => typeof value[field] === 'string') &&
    typeof lineNumber === 'number' &&
    optionalString(value.code) &&
    (cause === undefined || isErrorInfo(cause, depth + 1))
  );
}

/**
 * A message on a worker's port for run `run`: a note ({@link RunNote}), still to be read, or the run's end
 * ({@link RunEnd}); `undefined` for anything else, such as a note an earlier run of the worker sent after its end.
 * The end is trusted as the worker's code sent it: only that code knows the run's secret.
 */
export function readRunMessage(
  value: unknown,
  run: string,
): { readonly note: unknown } | { readonly end: ThreadJobOutcome } | undefined {
  if (!isObject(value) || value.run !== run) return undefined;
  if ('note' in value) return { note: value.note };
  return 'end' in value ? (value as unknown as RunEnd) : undefined;
}

/**
 * A note from a job, or `undefined` when it is not one the worker's code sends: anything else is
 * dropped, so nothing a handler could put there reaches the manager unchecked (message() checks its fields in the
 * worker; here they are checked again, since the main thread trusts nothing that crossed).
 */
export function readNote(value: unknown): WorkerNote | undefined {
  if (!isObject(value)) return undefined;
  switch (value.kind) {
    case 'started':
      return value as WorkerNote;
    case 'message': {
      const { text, date, field, dataPath, dataKey, targetId } = value;
      const key = dataKey === undefined || typeof dataKey === 'string' || typeof dataKey === 'number';
      const fieldsOk = optionalString(field) && optionalString(dataPath) && optionalString(targetId) && key;
      return typeof text === 'string' && isDate(date) && fieldsOk ? (value as WorkerNote) : undefined;
    }
    case 'progress': {
      const { percent, text, date } = value;
      // progress() clamps in the worker: a percent out of 0..100 was not sent by it.
      const ok = typeof percent === 'number' && percent >= 0 && percent <= 100 && typeof text === 'string';
      return ok && isDate(date) ? (value as WorkerNote) : undefined;
    }
    case 'call':
      return isCall(value) ? value : undefined;
    case 'rejection':
      return isErrorInfo(value.errorInfo) ? (value as WorkerNote) : undefined;
    default:
      return undefined;
  }
}

function isCall(value: Fields): value is ManagerCallNote & Fields {
  const { id, member, args } = value;
  return (
    Number.isSafeInteger(id) && typeof member === 'string' && CALL_MEMBERS.has(member) && Array.isArray(args)
  );
}

/**
 * A late rejection a worker posts on its `parentPort` after its job's channel closed, or `undefined`: only
 * logged, so at worst a handler forging one writes a log line.
 */
export function readLateRejection(
  value: unknown,
): { uuid: string; methodName: string; errorInfo: ErrorInfo } | undefined {
  if (!isObject(value) || typeof value.webBackgroundJobs !== 'string' || !isObject(value.note))
    return undefined;
  const { kind, methodName, errorInfo } = value.note;
  if (kind !== 'lateRejection' || typeof methodName !== 'string' || !isErrorInfo(errorInfo)) return undefined;
  return { uuid: value.webBackgroundJobs, methodName, errorInfo };
}
