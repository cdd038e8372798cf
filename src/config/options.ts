/** Where the library reports what it cannot return to a caller (failed jobs, a disabled config). `console` fits. */
export interface Logger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Options of {@link backgroundJobs} and `new BackgroundJobsManager()`. Every option overrides the matching
 * web.config key; relative paths given here are relative to `process.cwd()`.
 */
export interface BackgroundJobsOptions {
  /** Path of the XML appSettings file. Default `web.config` in `process.cwd()`; a missing default file means defaults, a missing explicit one is an error. */
  config?: string;
  /** Handlers folder. Overrides `jobsHandlersPath`. Default `handlers` beside the config file. */
  handlers?: string;
  /** Milliseconds between re-checks of job state held in a shared store. Overrides `jobsCheckInterval`. Default 1000. */
  checkInterval?: number;
  /** How many finished jobs stay findable; oldest are evicted first. Overrides `jobsHistorySize`. Default 1000. */
  historySize?: number;
  /** Receives failures and start-up notices. Default `console`. */
  logger?: Logger;
}

/** The validated settings a manager runs with: the web.config keys merged with the options. */
export interface Settings {
  /** `true` unless a config file exists and lacks `WebBackgroundJobs` = `attachAssembly`. */
  readonly enabled: boolean;
  /** Why {@link Settings.enabled} is false, as logged by the middleware. */
  readonly disabledReason: string | undefined;
  /** Absolute path of the config file read, or `undefined` when none was found at the default path. */
  readonly configFile: string | undefined;
  /** Absolute path of the handlers folder. */
  readonly handlersPath: string;
  /** `jobsCheckInterval`, milliseconds. */
  readonly checkInterval: number;
  /** `jobsHistorySize`. */
  readonly historySize: number;
}

/** The web.config `<appSettings>` keys this library reads (compared case-insensitively). */
export const CONFIG_KEYS = {
  switch: 'WebBackgroundJobs',
  checkInterval: 'jobsCheckInterval',
  handlersPath: 'jobsHandlersPath',
  historySize: 'jobsHistorySize',
} as const;

/** Defaults of the keys and options, declared once next to their types. */
export const DEFAULTS = {
  configFile: 'web.config',
  handlersFolder: 'handlers',
  checkInterval: 1000,
  historySize: 1000,
} as const;

/** The option names, for rejecting misspelt ones. */
export const OPTION_NAMES: readonly (keyof BackgroundJobsOptions)[] = [
  'config',
  'handlers',
  'checkInterval',
  'historySize',
  'logger',
];
