// The body of POST / (start a job), checked field by field at the edge: a browser is not trusted to send the types
// execute() takes, and a refusal names the field and what it should be, not an argument of execute.
import { BackgroundJobsError, describeValue } from '../../errors';
import type { KeyConflictAction } from '../../jobs/ownManager';

/** What `onKeyConflict` takes, in the body as in execute's options. */
const KEY_CONFLICT_RULES: readonly KeyConflictAction[] = ['reject', 'join', 'replace'];

/** The fields of the JSON body of `POST /`. */
export interface StartBody {
  readonly method: string;
  readonly params: unknown[];
  readonly key: string;
  readonly description: string;
  readonly onKeyConflict: KeyConflictAction | undefined;
}

const FIELDS = ['method', 'params', 'key', 'description', 'onKeyConflict'];

/**
 * The body of `POST /`, checked.
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` naming the field that is unknown, missing or of the wrong type.
 */
export function readStartBody(body: unknown): StartBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badField(
      `The body must be a JSON object { method, params?, key?, description? }, got ${describeValue(body)}`,
    );
  }
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!FIELDS.includes(name))
      throw badField(`Unknown field ${JSON.stringify(name)} in the body; expected ${FIELDS.join(', ')}`);
  }
  const { method, params = [], key = '', description = '', onKeyConflict } = fields;
  if (typeof method !== 'string' || method === '')
    throw badField(`The body's method must be a "Module.Method" name, got ${describeValue(method)}`);
  if (!Array.isArray(params))
    throw badField(`The body's params must be an array (passed positionally), got ${describeValue(params)}`);
  if (typeof key !== 'string') throw badField(`The body's key must be a string, got ${describeValue(key)}`);
  if (typeof description !== 'string')
    throw badField(`The body's description must be a string, got ${describeValue(description)}`);
  if (onKeyConflict !== undefined && !(KEY_CONFLICT_RULES as readonly unknown[]).includes(onKeyConflict)) {
    throw badField(
      `The body's onKeyConflict must be ${KEY_CONFLICT_RULES.map((rule) => `"${rule}"`).join(', ')}, got ${describeValue(onKeyConflict)}`,
    );
  }
  return { method, params, key, description, onKeyConflict: onKeyConflict as KeyConflictAction | undefined };
}

function badField(message: string): BackgroundJobsError {
  return new BackgroundJobsError('WBJ_BAD_ARGUMENT', message);
}
