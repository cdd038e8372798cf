import { BackgroundJobsError, describeValue } from '../errors';

/** `Module.Method`, split. */
export interface MethodName {
  readonly module: string;
  readonly method: string;
}

/** One JavaScript-style identifier of any script (`Тестовый`, `Reports`, `_build2`). */
const IDENTIFIER = /^[\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_$]*$/u;

/** Longer names are surely not handler names; refusing them early keeps error messages readable. */
const MAX_LENGTH = 255;

/** Names every object inherits: a handler must never resolve to one of them. */
const PROTOTYPE_MEMBERS = new Set(
  Object.getOwnPropertyNames(Object.prototype).map((name) => name.toLowerCase()),
);

/**
 * Checks a method name the way 1C names a procedure: exactly `Module.Method`, two identifiers joined by one dot.
 * Everything that could reach outside the handlers folder (separators, `..`, absolute paths) or into an
 * object's prototype (`constructor`, `__proto__`, `toString`…) is refused here, before any file is touched.
 */
export function parseMethodName(name: unknown): MethodName {
  if (typeof name !== 'string') throw badName(name, 'it must be a string');
  if (name === '') throw badName(name, 'it is empty');
  if (name.length > MAX_LENGTH) throw badName(name, `it is longer than ${MAX_LENGTH} characters`);
  if (/[\\/]/.test(name)) throw badName(name, 'it contains a path separator');
  if (name.includes('..')) throw badName(name, 'it contains ".."');
  const parts = name.split('.');
  if (parts.length !== 2) throw badName(name, `it has ${parts.length} part(s)`);
  const [module, method] = parts;
  for (const part of parts) {
    if (!IDENTIFIER.test(part)) throw badName(name, `${JSON.stringify(part)} is not an identifier`);
  }
  if (PROTOTYPE_MEMBERS.has(method.toLowerCase())) {
    throw badName(name, `${JSON.stringify(method)} names a member every object inherits, not a handler`);
  }
  return { module, method };
}

function badName(name: unknown, reason: string): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_BAD_METHOD_NAME',
    `Method name ${describeValue(name)} is not valid: ${reason}. Expected "Module.Method": a module file in the handlers folder and a function it exports, e.g. "Reports.Build"`,
  );
}
