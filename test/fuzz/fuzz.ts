import { inspect } from 'node:util';
import fc from 'fast-check';
import { BackgroundJobsError } from 'web-background-jobs';

/**
 * The seed of every property: fixed, so `npm test` tries the same inputs each time and a failure can be replayed;
 * `FUZZ_SEED` replays a reported one or explores others.
 */
export const SEED = process.env.FUZZ_SEED === undefined ? 13 : Number(process.env.FUZZ_SEED);

/** `FUZZ_RUNS` replaces every property's number of runs, for a long run (`FUZZ_RUNS=10000 npx jest test/fuzz`). */
const RUNS = process.env.FUZZ_RUNS === undefined ? undefined : Number(process.env.FUZZ_RUNS);

/** How long one run may take before it counts as a hang, a generous bound on a loaded machine. */
const RUN_TIMEOUT_MS = 20_000;

/** A Jest timeout for a property of `runs` runs (the long run scales it). */
export function timeoutFor(runs: number, msPerRun = 1000): number {
  return 30_000 + (RUNS ?? runs) * msPerRun;
}

/**
 * Checks `property` on `examples` (inputs known to have broken something), then on `runs` generated inputs (or
 * `FUZZ_RUNS`) from the fixed seed. A failure reports the shrunk counterexample, the seed and the path to replay
 * it, and the error the property threw.
 */
export async function check<T>(
  property: fc.IAsyncProperty<T> | fc.IProperty<T>,
  runs: number,
  examples: T[] = [],
): Promise<void> {
  try {
    await fc.assert(property, {
      seed: SEED,
      // fast-check counts the examples among the runs: they come on top of the generated ones here.
      numRuns: (RUNS ?? runs) + examples.length,
      examples,
      includeErrorInReport: true,
      plugins: [fc.timeout(RUN_TIMEOUT_MS)],
    });
  } catch (error) {
    // fast-check names the seed and path already; say how to replay with them here.
    (error as Error).message = `FUZZ_SEED=${SEED} replays this run.\n${(error as Error).message}`;
    throw error;
  }
}

/** What may come out of the public API when something is wrong: a BackgroundJobsError with a stable code. */
export function expectCoded(error: unknown, codes?: readonly string[]): asserts error is BackgroundJobsError {
  const coded = error instanceof BackgroundJobsError && /^WBJ_[A-Z_]+$/.test(error.code);
  if (!coded || (codes !== undefined && !codes.includes(error.code))) {
    throw new Error(
      `Expected a BackgroundJobsError with a code${codes ? ` (${codes.join(', ')})` : ''}, got ${safeInspect(error)}`,
    );
  }
}

/** `inspect`, for values built to be hostile: a description of them must not throw in turn. */
export function safeInspect(value: unknown): string {
  try {
    return inspect(value, { depth: 3, breakLength: Infinity, maxStringLength: 300 });
  } catch (error) {
    return `(an uninspectable value: ${String(error)})`;
  }
}
