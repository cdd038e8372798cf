/**
 * Reads what may throw and falls back: a property of a foreign value (a hostile getter must not crash the job's
 * bookkeeping), or the process's surroundings (a deleted working folder, a user without a home folder).
 */
export function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
