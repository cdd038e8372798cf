import { types } from 'node:util';

/** What stands where a value cannot be sent as it is. */
export const JSON_MARKERS = Object.freeze({
  /** A value that contains itself. */
  circular: '[Circular]',
  /** Nesting past {@link MAX_DEPTH}. */
  tooDeep: '[Too deep]',
  /** A getter, `toJSON()` or Proxy trap threw. */
  unreadable: '[Unreadable]',
  /** What comes after {@link MAX_CHARS}. */
  truncated: '[Truncated]',
});

/** How many levels of arrays and objects are followed: JSON.stringify recurses on the stack, one frame a level. */
export const MAX_DEPTH = 1000;
/**
 * About how many characters of JSON one value may take (64 Mi). JSON.stringify throws past V8's longest string
 * (2^29 − 24 characters); counting a string by its length, this bound holds even if every character needs a
 * 6-character escape. It also bounds the time a cycle-free graph of shared objects, expanded, would take.
 */
export const MAX_CHARS = 2 ** 26;

/** Rough JSON sizes of what is not a string: a number, a literal, the brackets and separators of a container. */
const NUMBER_CHARS = 12;
const LITERAL_CHARS = 6;
const CONTAINER_CHARS = 2;
/** What a hole of a sparse array counts: more than its `null`, so `[, , …]` of length 2^32 − 1 is cut early. */
const HOLE_CHARS = 64;

/**
 * Any value as data JSON.stringify takes without throwing, and without running code of the value's own except its
 * `toJSON()`, as JSON.stringify would. It follows JSON.stringify where that succeeds (`toJSON()` called, Dates as
 * ISO strings, functions, symbols and `undefined` left out of objects and `null` in arrays, non-finite numbers
 * `null`) and goes on where it would throw or lose data: BigInts as decimal strings, Maps as arrays of
 * `[key, value]` pairs, Sets and typed arrays as arrays, and a marker ({@link JSON_MARKERS}) for a cycle, nesting
 * past {@link MAX_DEPTH}, a getter, `toJSON()` or Proxy trap that throws, and what comes past {@link MAX_CHARS}.
 * It never throws.
 * @returns `undefined` where JSON.stringify would leave the value out (a function, a symbol, `undefined`).
 */
export function jsonValue(value: unknown): unknown {
  return new JsonConversion().convert(value, '', 0, true);
}

class JsonConversion {
  #charsLeft = MAX_CHARS;
  /** The objects being converted, from the root down: meeting one again is a cycle (shared ones are fine). */
  readonly #ancestors = new Set<object>();

  /** @param key - the value's key or index in its holder, given to its `toJSON()` as JSON.stringify does. */
  convert(value: unknown, key: string | number, depth: number, callToJSON: boolean): unknown {
    switch (typeof value) {
      case 'string':
        return this.#string(value);
      case 'number':
        this.#charsLeft -= NUMBER_CHARS;
        return Number.isFinite(value) ? value : null;
      case 'boolean':
        this.#charsLeft -= LITERAL_CHARS;
        return value;
      case 'bigint':
        return this.#string(value.toString());
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (value === null) {
      this.#charsLeft -= LITERAL_CHARS;
      return null;
    }
    try {
      return this.#object(value as object, key, depth, callToJSON);
    } catch {
      // A throwing getter or Proxy trap, a revoked Proxy, or a stack exhausted by the caller's own depth.
      return this.#string(JSON_MARKERS.unreadable);
    }
  }

  #object(value: object, key: string | number, depth: number, callToJSON: boolean): unknown {
    if (callToJSON) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      // As JSON.stringify: what toJSON() returns is converted, without calling its own toJSON() again.
      if (typeof toJSON === 'function')
        return this.convert(toJSON.call(value, String(key)), key, depth, false);
    }
    if (this.#ancestors.has(value)) return this.#string(JSON_MARKERS.circular);
    if (depth >= MAX_DEPTH) return this.#string(JSON_MARKERS.tooDeep);
    this.#ancestors.add(value);
    try {
      this.#charsLeft -= CONTAINER_CHARS;
      // Plain arrays and objects first: they are nearly all of any result.
      if (Array.isArray(value)) return this.#items(value, depth);
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype === Object.prototype || prototype === null) return this.#record(value, depth);
      return this.#builtIn(value, key, depth);
    } finally {
      this.#ancestors.delete(value);
    }
  }

  /** Dates, boxed primitives, Maps, Sets and typed arrays as JSON-friendly values; any other object by its keys. */
  #builtIn(value: object, key: string | number, depth: number): unknown {
    if (types.isDate(value)) {
      return Number.isFinite(value.getTime()) ? this.#string(value.toISOString()) : null;
    }
    if (types.isBoxedPrimitive(value)) return this.convert(value.valueOf(), key, depth, false);
    if (types.isTypedArray(value)) return this.#items(value as unknown as ArrayLike<unknown>, depth);
    if (types.isMap(value)) {
      return this.#iterated(Map.prototype.entries.call(value), ([itemKey, item]: [unknown, unknown]) => [
        this.convert(itemKey, 0, depth + 2, true) ?? null,
        this.convert(item, 1, depth + 2, true) ?? null,
      ]);
    }
    if (types.isSet(value)) {
      return this.#iterated(Set.prototype.values.call(value), (item) =>
        this.convert(item, '', depth + 1, true),
      );
    }
    return this.#record(value, depth);
  }

  /** An array or typed array, holes and left-out values as `null`; cut with a marker once the size is spent. */
  #items(value: ArrayLike<unknown>, depth: number): unknown[] {
    const { length } = value;
    const array: unknown[] = [];
    for (let index = 0; index < length && this.#charsLeft > 0; index += 1) {
      const item = this.#property(value, index, depth);
      if (item === undefined && !(index in value)) this.#charsLeft -= HOLE_CHARS;
      array.push(this.#item(item));
    }
    if (array.length < length) array.push(JSON_MARKERS.truncated);
    return array;
  }

  /** What iterating a Map or Set yields, converted, as an array; cut with a marker once the size is spent. */
  #iterated<T>(items: Iterable<T>, convert: (item: T) => unknown): unknown[] {
    const array: unknown[] = [];
    for (const item of items) {
      if (this.#charsLeft <= 0) {
        array.push(JSON_MARKERS.truncated);
        break;
      }
      array.push(this.#item(convert(item)));
    }
    return array;
  }

  /** An array item as JSON.stringify writes it: `null` where an object would leave the value out. */
  #item(converted: unknown): unknown {
    this.#charsLeft -= converted === undefined ? LITERAL_CHARS : 1;
    return converted ?? null;
  }

  /** An object's own enumerable string keys, as JSON.stringify reads them; cut with a marker once the size is spent. */
  #record(value: object, depth: number): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (this.#charsLeft <= 0) {
        record[JSON_MARKERS.truncated] = JSON_MARKERS.truncated;
        break;
      }
      this.#charsLeft -= key.length + 4;
      const converted = this.#property(value, key, depth);
      if (converted === undefined) continue;
      if (key === '__proto__') {
        // An own property, as JSON.parse would make it: assigning it would set the record's prototype instead.
        Object.defineProperty(record, key, {
          value: converted,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        record[key] = converted;
      }
    }
    return record;
  }

  #property(holder: object, key: string | number, depth: number): unknown {
    let value: unknown;
    try {
      value = (holder as Record<string | number, unknown>)[key];
    } catch {
      return this.#string(JSON_MARKERS.unreadable);
    }
    return this.convert(value, key, depth + 1, true);
  }

  #string(text: string): string {
    const left = this.#charsLeft;
    this.#charsLeft -= text.length + 2;
    return this.#charsLeft >= 0 ? text : `${text.slice(0, Math.max(0, left))}${JSON_MARKERS.truncated}`;
  }
}
