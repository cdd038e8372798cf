import { errorFields, type LogFields, type WriteLog } from '../config/logWriter';

/** The manager's lines: what it, its store and its scheduled jobs log, through the application's logger. */
export interface ManagerLog {
  /** An error line, with the error's code and the error as fields, and those of what it is about. */
  readonly logError: (line: string, error: unknown, fields?: LogFields) => void;
  readonly warn: (line: string, fields?: LogFields) => void;
}

/** The manager's lines written through `log`, which may throw: see {@link writeGuarded}. */
export function managerLog(log: WriteLog): ManagerLog {
  return {
    logError: (line, error, fields) => writeGuarded(log, 'error', line, { ...errorFields(error), ...fields }),
    warn: (line, fields) => writeGuarded(log, 'warn', line, fields),
  };
}

/** A logger that throws must not turn a job's failure into a crash of the process: console gets both. */
function writeGuarded(
  log: WriteLog,
  level: 'warn' | 'error',
  line: string,
  fields: LogFields | undefined,
): void {
  try {
    log(level, line, fields);
  } catch (loggerFailure) {
    if (fields?.err === undefined) console[level](line);
    else console[level](line, fields.err);
    console.error(
      '[web-background-jobs] The logger option threw while logging the line above:',
      loggerFailure,
    );
  }
}
