import { BackgroundJobsError } from 'web-background-jobs';

/** What assigning `value` to `member` of `target` throws, read as code and message; fails if nothing is thrown. */
export function assignmentError(
  target: object,
  member: string,
  value: unknown,
): { code: string; message: string } {
  try {
    (target as Record<string, unknown>)[member] = value;
  } catch (error) {
    expect(error).toBeInstanceOf(BackgroundJobsError);
    return { code: (error as BackgroundJobsError).code, message: (error as Error).message };
  }
  throw new Error(`assigning ${member} did not throw`);
}
