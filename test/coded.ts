import { BackgroundJobsError } from 'web-background-jobs';

// What the error tests share: how a refusal is caught and checked, and a value nested as deep as asked.

/** `depth` arrays, one inside the other, around a 1. */
export function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

/** A message with a full stop right after another: `... cloned.. Pass` or `ready. .` */
export const DOUBLE_FULL_STOP = /\.\s*\.(\s|$)/;

/** What a call threw or rejected with; `undefined` when it succeeded. */
export async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Asserts that `error` is ours, with a code, and a message without a double full stop. */
export function expectCoded(error: unknown, label: string): void {
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  expect({ label, ours: error instanceof BackgroundJobsError, summary }).toEqual({
    label,
    ours: true,
    summary: expect.stringMatching(/^BackgroundJobsError: /),
  });
  const { code, message } = error as BackgroundJobsError;
  expect(code).toMatch(/^WBJ_[A-Z_]+$/);
  expect(message).not.toMatch(DOUBLE_FULL_STOP);
}
