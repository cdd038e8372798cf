import { BackgroundJobsError } from '../errors';

/** A start-up error that names the file and, where known, the line. */
export function configError(file: string, line: number | undefined, problem: string): BackgroundJobsError {
  const where = line === undefined ? file : `${file}, line ${line}`;
  return new BackgroundJobsError('WBJ_CONFIG', `${problem} (${where})`);
}
