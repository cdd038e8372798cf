import { BackgroundJobsError, describeValue } from '../errors';
import { type ErrorInfo, errorInfoFrom, isErrorInfo, isErrorLike } from './errorInfo';
import { currentJob } from './jobContext';

/**
 * The error as a developer reads it in a log: `{Module(line)}: description`, then `caused by: ` and each cause's
 * (1C: ПодробноеПредставлениеОшибки, which БСП writes to the event log). Takes a job's `errorInfo`, or what a
 * `catch` caught, as 1C code passes `ИнформацияОбОшибке()` inside `Исключение`:
 * `catch (e) { log(ПодробноеПредставлениеОшибки(e)) }`.
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for anything but an ErrorInfo or an Error.
 */
export function detailErrorDescription(info: ErrorInfo | Error): string {
  return errorInfoOf(info, 'detailErrorDescription').detailedDescription;
}

/**
 * The error as a user reads it: its description, without module, line or causes (1C: КраткоеПредставлениеОшибки;
 * OneScript returns ИнформацияОбОшибке.Описание the same way). Takes what {@link detailErrorDescription} takes.
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for anything but an ErrorInfo or an Error.
 */
export function briefErrorDescription(info: ErrorInfo | Error): string {
  return errorInfoOf(info, 'briefErrorDescription').description;
}

/**
 * An ErrorInfo as it is; an Error described as a job's would be, its module relative to the handlers folder when
 * called inside a job. 1C refuses anything but an ИнформацияОбОшибке there ("Неверный тип параметра"); a value
 * thrown that is not an Error (a string) is refused too, rather than described as something it is not.
 */
function errorInfoOf(value: unknown, call: string): ErrorInfo {
  if (isErrorInfo(value)) return value;
  if (isErrorLike(value)) return currentJob()?.errorInfoOf(value) ?? errorInfoFrom(value, '');
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `${call}(info) takes a job's errorInfo or an Error, got ${describeValue(value)}`,
  );
}
