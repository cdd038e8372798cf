import { types } from 'node:util';
import { describeValue, messageOf } from '../errors';
import { safely } from './safely';

/**
 * How deep a job's parameters and results may nest. A Redis store refuses deeper JSON: JSON.stringify (in BullMQ)
 * recurses, and at about 4,000 levels it overflows the stack wherever it is called from. Structured clone gives up
 * sooner (about 2,000 levels of objects), so the same figure is the advice when a copy fails for depth.
 */
export const MAX_NESTING = 1000;

/** What a Redis store accepts, for error messages. */
export const STORABLE_DATA = `JSON data only (null, booleans, finite numbers, strings, arrays and plain objects, nested at most ${MAX_NESTING} levels deep); pass dates as ISO strings and maps as objects`;

/** How much of a path a message shows: the start and the end of a deep one, with `…` between. */
const PATH_CHARACTERS = 200;

/**
 * Where `value` holds something JSON would change or drop (`undefined`, a Date, a Map, NaN, a cycle…), nests
 * deeper than {@link MAX_NESTING}, or cannot be read (a getter that throws, a Proxy): its path from `name`
 * (`params[0].when`, `result[2]`) and what is there; `undefined` when JSON carries it unchanged. The walk is
 * iterative, so no depth overflows the stack, and it never throws.
 */
export function findUnstorable(value: unknown, name: string): string | undefined {
  return walk(value, name, MAX_NESTING);
}

/** {@link findUnstorable} for a job's parameters: each nests up to {@link MAX_NESTING} levels below the list. */
export function findUnstorableParam(params: readonly unknown[]): string | undefined {
  return walk(params, 'params', MAX_NESTING + 1);
}

/**
 * Whether a structured-clone copy nests deeper than {@link MAX_NESTING}: a copy is plain data (no getters, no
 * Proxies), so reading it runs no code. Iterative; an object reached twice counts once, as the clone copies it once.
 */
export function nestsTooDeep(copy: unknown): boolean {
  const seen = new Set<object>();
  const pending: [unknown, number][] = [[copy, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || seen.has(value)) continue;
    if (depth === MAX_NESTING) return true;
    seen.add(value);
    // types.isMap, not instanceof: the copy may come from another realm (a vm context, a test runner).
    const items = types.isMap(value)
      ? [...value.keys(), ...value.values()]
      : types.isSet(value)
        ? [...value]
        : Object.values(value);
    for (const item of items) pending.push([item, depth + 1]);
  }
  return false;
}

function walk(value: unknown, name: string, levels: number): string | undefined {
  const open = new Walk(levels);
  let found = inspect(value, name, open);
  while (found === undefined && open.path.length > 0) {
    const child = open.path[open.path.length - 1].next();
    if (child === undefined) open.leave();
    else if (typeof child === 'string') found = child;
    else found = inspect(child.value, child.path, open);
  }
  return found;
}

/**
 * Why a structured clone of a parameter or result failed, to quote in a message: the clone's own words, or for a
 * stack overflow, that the value nests too deeply.
 */
export function cloneFailure(error: unknown): string {
  const text = messageOf(error);
  // By name, not instanceof: the clone's RangeError may come from another realm (a vm context, a test runner).
  const overflow =
    types.isNativeError(error) && safely(() => error.name, '') === 'RangeError' && /call stack/i.test(text);
  if (overflow) {
    return `it nests too deeply to be copied (${text}); a job's data nests at most ${MAX_NESTING} levels`;
  }
  return text;
}

/** A problem with `value` itself; an array or plain object to read is pushed on `open` instead. */
function inspect(value: unknown, path: string, open: Walk): string | undefined {
  const here = (what: string): string => `${clipped(path)} is ${what}`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : here(String(value));
  if (typeof value !== 'object') return here(describeValue(value));
  // A Proxy's traps could answer anything; JSON data never needs one.
  if (types.isProxy(value)) return here(describeValue(value));
  if (open.holds(value)) return here('a reference back to a value that contains it');
  if (open.path.length === open.levels) return here(`nested deeper than ${MAX_NESTING} levels`);
  const prototype: unknown = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && prototype !== Object.prototype && prototype !== null) {
    const description = describeValue(value);
    // `an object (Date)` reads better as `a Date`, unless the class name is odd enough to need the brackets.
    const className = /^an object \(([A-Za-z_$][\w$]*)\)$/.exec(description)?.[1];
    return here(className === undefined ? description : `a ${className}`);
  }
  open.enter(new Container(value, path, isArray ? undefined : Object.keys(value)));
  return undefined;
}

/** The containers from the outermost one down to the one being read, and a set of them for cycles. */
class Walk {
  readonly path: Container[] = [];

  constructor(
    /** How many containers may enclose one another. */
    readonly levels: number,
  ) {}

  readonly #objects = new Set<object>();

  holds(value: object): boolean {
    return this.#objects.has(value);
  }

  enter(container: Container): void {
    this.path.push(container);
    this.#objects.add(container.object);
  }

  leave(): void {
    this.#objects.delete(this.path.pop()!.object);
  }
}

/** An array or plain object being walked: its items one at a time, each with its path. */
class Container {
  #next = 0;

  constructor(
    readonly object: object,
    readonly path: string,
    /** The keys of a plain object; `undefined` for an array, read by index. */
    readonly keys: readonly string[] | undefined,
  ) {}

  /** The next item, `undefined` after the last, or a problem: a hole, a getter that threw. */
  next(): { value: unknown; path: string } | string | undefined {
    const index = this.#next;
    this.#next += 1;
    const array = this.object as unknown[];
    if (this.keys === undefined && index >= array.length) return undefined;
    if (this.keys !== undefined && index >= this.keys.length) return undefined;
    const key = this.keys === undefined ? index : this.keys[index];
    const path = `${this.path}${typeof key === 'number' ? `[${key}]` : keyPath(key)}`;
    if (typeof key === 'number' && !(key in array)) return `${clipped(path)} is a hole`;
    try {
      return { value: (this.object as Record<string | number, unknown>)[key], path };
    } catch (error) {
      return `${clipped(path)} could not be read (${messageOf(error)})`;
    }
  }
}

/** `.name` for a key that reads as one, `["a b"]` for any other, so that the path says exactly where. */
function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) && key.length <= 100 ? `.${key}` : `[${describeValue(key)}]`;
}

function clipped(path: string): string {
  if (path.length <= PATH_CHARACTERS) return path;
  const half = PATH_CHARACTERS / 2;
  return `${path.slice(0, half)}…${path.slice(-half)}`;
}
