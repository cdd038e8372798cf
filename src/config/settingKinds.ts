import { choiceNamed } from '../compat/choiceNamed';
import type { SettingKind, SettingSpec } from './settingsTable';

/**
 * How each kind of setting is read: once from an option (a JavaScript value, taken as given) and once from web.config
 * (text, where case and surrounding blanks do not matter), and the accepted form as the errors and docs/configuration.md say it.
 * One reader a kind, so every setting of a kind is checked alike wherever it comes from.
 */
export interface SettingReader {
  /** The accepted form, completing "… must be ": given as an option, or as web.config text. */
  expected(spec: SettingSpec, from: 'option' | 'key'): string;
  /** The option's value if it is acceptable, else `undefined`. */
  fromOption(value: unknown, spec: SettingSpec): unknown;
  /** The value web.config's text stands for if it is acceptable, else `undefined`. */
  fromText(text: string, spec: SettingSpec): unknown;
}

const NON_EMPTY_PATH = 'a non-empty path';
const LOGGER_METHODS = ['warn', 'error'] as const;

/** The methods a logger lacks; none for one that fits. */
export function missingLoggerMethods(logger: unknown): string[] {
  return LOGGER_METHODS.filter(
    (method) => typeof (logger as Record<string, unknown> | null)?.[method] !== 'function',
  );
}

function numberExpected(spec: SettingSpec): string {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, integer, unit } = spec;
  const bound = max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : '';
  return `${min > 0 ? 'a positive' : 'a non-negative'} ${integer ? 'integer' : 'number'} of ${unit}${bound}`;
}

function numberAccepts(value: number, spec: SettingSpec): boolean {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = spec;
  return (
    (spec.integer ? Number.isSafeInteger(value) : Number.isFinite(value)) && value >= min && value <= max
  );
}

function nonEmptyPath(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `memory` (any case), or a `redis:`/`rediss:` URL with a host, kept as given. */
function redisStore(value: string): string | undefined {
  if (value.toLowerCase() === 'memory') return 'memory';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' ? value : undefined;
}

/** BullMQ builds its Redis keys as prefix:queue:…, so a colon would blur two queues' keys. */
function queueName(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\w.-]{1,100}$/.test(value) ? value : undefined;
}

export const READERS: Record<SettingKind, SettingReader> = {
  number: {
    expected: numberExpected,
    fromOption: (value, spec) =>
      typeof value === 'number' && numberAccepts(value, spec) ? value : undefined,
    fromText: (text, spec) => {
      const trimmed = text.trim();
      return /^\d+(\.\d+)?$/.test(trimmed) && numberAccepts(Number(trimmed), spec)
        ? Number(trimmed)
        : undefined;
    },
  },
  // Any case, as 1C compares its enumerations (attachassembly works in web.config); the value kept is the canonical one.
  choice: {
    expected: (spec) => (spec.values ?? []).map((value) => JSON.stringify(value)).join(' or '),
    fromOption: (value, spec) =>
      typeof value === 'string' ? choiceNamed(value, spec.values ?? []) : undefined,
    fromText: (text, spec) => choiceNamed(text.trim(), spec.values ?? []),
  },
  boolean: {
    expected: (_spec, from) => (from === 'option' ? 'true or false' : '"true" or "false"'),
    fromOption: (value) => (typeof value === 'boolean' ? value : undefined),
    fromText: (text) => {
      const word = text.trim().toLowerCase();
      return word === 'true' ? true : word === 'false' ? false : undefined;
    },
  },
  redisStore: {
    expected: () => '"memory" or a Redis URL (redis://host:port/db, rediss:// for TLS)',
    fromOption: (value) => (typeof value === 'string' ? redisStore(value) : undefined),
    fromText: (text) => redisStore(text.trim()),
  },
  queueName: {
    expected: () => 'a name of 1 to 100 letters, digits, ".", "-" or "_"',
    fromOption: queueName,
    fromText: (text) => queueName(text.trim()),
  },
  file: { expected: () => NON_EMPTY_PATH, fromOption: nonEmptyPath, fromText: nonEmptyPath },
  // The key may be empty: the folder is then the default one beside the file.
  folder: {
    expected: (_spec, from) => (from === 'option' ? NON_EMPTY_PATH : 'a path; empty for the default'),
    fromOption: nonEmptyPath,
    fromText: (text) => text,
  },
  logger: {
    expected: () => 'an object with warn and error methods (console fits)',
    fromOption: (value) => (missingLoggerMethods(value).length === 0 ? value : undefined),
    fromText: () => undefined,
  },
};
