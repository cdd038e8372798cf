import type { ScheduledJobDeclaration } from './scheduledJobsSection';
import type { HELD_KINDS, SETTINGS, SettingKind } from './settingsTable';

/** Where the library reports what it cannot return to a caller (failed jobs, a disabled config). `console` fits. */
export interface Logger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * What a log line says of its subject as fields, so that a structured logger (pino, bunyan, winston) makes it
 * searchable: `uuid`, `method` and `key` of the job, the error's `code`, the error itself as `err` (the key pino's
 * serializer reads), and the scheduled job's name.
 */
export interface LogFields {
  readonly uuid?: string;
  readonly method?: string;
  readonly key?: string;
  readonly code?: string;
  readonly scheduledJob?: string;
  readonly err?: unknown;
}

/** A logger called with its fields first, as pino and bunyan are (`logFormat` `object-first`). */
export interface StructuredLogger {
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/**
 * Where handlers execute: `thread` in a pool of worker threads (CPU-bound handlers cannot stall the app, and
 * cancel can stop anything); `inline` on the application's event loop (handlers reach the app's objects).
 */
export type Isolation = (typeof SETTINGS.isolation.values)[number];

/** What an option or setting of each kind holds (a `choice` holds one of its values). */
interface KindValues {
  number: number;
  choice: string;
  boolean: boolean;
  redisStore: string;
  queueName: string;
  file: string;
  folder: string;
  logger: Logger | StructuredLogger;
}

type Table = typeof SETTINGS;

/** The value of a setting: one of a choice's values, else what its kind holds. */
type ValueOf<S> = S extends { readonly values: readonly (infer V)[] }
  ? V
  : S extends { readonly kind: infer K extends SettingKind }
    ? KindValues[K]
    : never;

/**
 * Options of {@link backgroundJobs} and `new BackgroundJobsManager()`. Every option overrides the matching
 * web.config key; relative paths given here are relative to `process.cwd()`. Made from the settings table
 * (settingsTable.ts), whose TSDoc each option keeps.
 */
export type BackgroundJobsOptions = {
  -readonly [N in keyof Table as Table[N] extends { readonly option: false } ? never : N]?: ValueOf<Table[N]>;
};

/** The settings a manager holds as given or defaulted: the options of a kind in {@link HELD_KINDS}. */
export type HeldSettings = {
  readonly [
    N in keyof Table as Table[N] extends { readonly option: false }
      ? never
      : Table[N]['kind'] extends (typeof HELD_KINDS)[number]
        ? N
        : never
  ]: ValueOf<Table[N]>;
};

/** The validated settings a manager runs with: the web.config keys merged with the options. */
export interface Settings extends HeldSettings {
  /** `true` unless a config file exists and lacks `WebBackgroundJobs` = `attachAssembly`. */
  readonly enabled: boolean;
  /** Why {@link Settings.enabled} is false, as logged by the middleware. */
  readonly disabledReason: string | undefined;
  /** Absolute path of the config file read, or `undefined` when none was found at the default path. */
  readonly configFile: string | undefined;
  /** Absolute path of the handlers folder. */
  readonly handlersPath: string;
  /** The scheduled jobs declared in web.config's `<scheduledJobs>`, checked. */
  readonly scheduledJobs: readonly ScheduledJobDeclaration[];
}

/** Defaults that are no setting of their own. */
export const DEFAULTS = {
  /** Jobs one instance runs at once from a Redis queue inline, where the embedded default is unlimited. */
  redisInlineConcurrency: 100,
} as const;
