import { describeValue } from '../errors';

/** What a Redis store accepts, for error messages. */
export const STORABLE_DATA =
  'JSON data only (null, booleans, finite numbers, strings, arrays and plain objects); pass dates as ISO strings and maps as objects';

/**
 * Where `value` holds something JSON would change or drop (`undefined`, a Date, a Map, NaN, a cycle…), as a path
 * like `.when` or `[2]` (`name` for the value itself), with what is there; `undefined` when JSON carries it
 * unchanged.
 */
export function findUnstorable(value: unknown, name: string): string | undefined {
  return visit(value, '', name, new Set());
}

function visit(value: unknown, at: string, name: string, ancestors: Set<object>): string | undefined {
  const here = (what: string): string => `${at || name} is ${what}`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : here(String(value));
  if (typeof value !== 'object') return here(describeValue(value));
  if (ancestors.has(value)) return here('a reference back to a value that contains it');
  const isArray = Array.isArray(value);
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!isArray && prototype !== Object.prototype && prototype !== null) {
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    return here(typeof name === 'string' && name !== '' ? `a ${name}` : describeValue(value));
  }
  ancestors.add(value);
  try {
    if (isArray) {
      for (let index = 0; index < value.length; index += 1) {
        const found =
          index in value
            ? visit(value[index], `${at}[${index}]`, name, ancestors)
            : `${at}[${index}] is a hole`;
        if (found !== undefined) return found;
      }
      return undefined;
    }
    for (const [key, item] of Object.entries(value)) {
      const found = visit(item, `${at}.${key}`, name, ancestors);
      if (found !== undefined) return found;
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}
