import os from 'node:os';
import { MAX_TIMEOUT_SECONDS, MAX_TIMER_MS } from '../timerLimit';
import type { ScheduledJobDeclaration } from './scheduledJobsSection';

/** Where the library reports what it cannot return to a caller (failed jobs, a disabled config). `console` fits. */
export interface Logger {
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Where handlers execute: `thread` in a pool of worker threads (CPU-bound handlers cannot stall the app, and
 * cancel can stop anything); `inline` on the application's event loop (handlers reach the app's objects).
 */
export type Isolation = 'thread' | 'inline';

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
  /** Where handlers run. Overrides `jobsIsolation`. Default `thread`. */
  isolation?: Isolation;
  /** Worker threads in the pool (thread isolation). Overrides `jobsMaxThreads`. Default: the number of CPUs. */
  maxThreads?: number;
  /** Jobs running at once; the rest wait in a FIFO queue, `Active`. Overrides `jobsMaxConcurrency`. Default: `maxThreads` in thread isolation, unlimited inline. */
  maxConcurrency?: number;
  /** Milliseconds a cancelled or timed-out job's handler gets to return before its worker is terminated (thread isolation). Overrides `jobsCancelGraceMs`. Default 1000. */
  cancelGraceMs?: number;
  /** Seconds a job may run before it fails with `WBJ_JOB_TIMEOUT`; 0 for no limit. Overrides `jobsTimeoutSeconds`. Default 0. */
  timeoutSeconds?: number;
  /** Old-generation heap cap of each worker thread, in megabytes; 0 for V8's default. Overrides `jobsWorkerMaxMemoryMb`. Default 0. */
  workerMaxMemoryMb?: number;
  /**
   * Where jobs live: `memory` (this process only) or a Redis URL (`redis://host:port/db`, `rediss://` for TLS), which
   * every instance sharing it and {@link BackgroundJobsOptions.queueName} sees. Overrides `jobsStore`. Default `memory`.
   */
  store?: string;
  /** The BullMQ queue the jobs of a Redis store go through; apps sharing one Redis keep apart by it. Overrides `jobsQueueName`. Default `web-background-jobs`. */
  queueName?: string;
  /** Whether this instance runs jobs from a Redis store's queue; `false` for web-only instances. Overrides `jobsWorker`. Default `true`. */
  worker?: boolean;
  /** Seconds after which a job whose process went silent (crashed, killed) ends `Failed` with `WBJ_WORKER_LOST` (Redis store). Overrides `jobsLostWorkerSeconds`. Default 30. */
  lostWorkerSeconds?: number;
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
  /** `jobsIsolation`. */
  readonly isolation: Isolation;
  /** `jobsMaxThreads`. */
  readonly maxThreads: number;
  /** `jobsMaxConcurrency`; `Infinity` when unlimited. */
  readonly maxConcurrency: number;
  /** `jobsCancelGraceMs`. */
  readonly cancelGraceMs: number;
  /** `jobsTimeoutSeconds`; 0 when jobs have no time limit. */
  readonly timeoutSeconds: number;
  /** `jobsWorkerMaxMemoryMb`; 0 when uncapped. */
  readonly workerMaxMemoryMb: number;
  /** `jobsStore`: `memory`, or the Redis URL as given. */
  readonly store: string;
  /** `jobsQueueName`. */
  readonly queueName: string;
  /** `jobsWorker`. */
  readonly worker: boolean;
  /** `jobsLostWorkerSeconds`. */
  readonly lostWorkerSeconds: number;
  /** The scheduled jobs declared in web.config's `<scheduledJobs>`, checked. */
  readonly scheduledJobs: readonly ScheduledJobDeclaration[];
}

/** The web.config `<appSettings>` keys this library reads (compared case-insensitively). */
export const CONFIG_KEYS = {
  switch: 'WebBackgroundJobs',
  checkInterval: 'jobsCheckInterval',
  handlersPath: 'jobsHandlersPath',
  historySize: 'jobsHistorySize',
  isolation: 'jobsIsolation',
  maxThreads: 'jobsMaxThreads',
  maxConcurrency: 'jobsMaxConcurrency',
  cancelGraceMs: 'jobsCancelGraceMs',
  timeoutSeconds: 'jobsTimeoutSeconds',
  workerMaxMemoryMb: 'jobsWorkerMaxMemoryMb',
  store: 'jobsStore',
  queueName: 'jobsQueueName',
  worker: 'jobsWorker',
  lostWorkerSeconds: 'jobsLostWorkerSeconds',
} as const;

/** Defaults of the keys and options, declared once next to their types. */
export const DEFAULTS = {
  configFile: 'web.config',
  handlersFolder: 'handlers',
  checkInterval: 1000,
  historySize: 1000,
  isolation: 'thread',
  maxThreads: os.availableParallelism(),
  cancelGraceMs: 1000,
  timeoutSeconds: 0,
  workerMaxMemoryMb: 0,
  store: 'memory',
  queueName: 'web-background-jobs',
  worker: true,
  lostWorkerSeconds: 30,
  /** Jobs one instance runs at once from a Redis queue inline, where the embedded default is unlimited. */
  redisInlineConcurrency: 100,
} as const;

/**
 * The numeric settings and the values each accepts, for validating keys and options alike. A time setting's
 * maximum, in its unit, never exceeds {@link MAX_TIMER_MS}: each becomes a timer's delay or period.
 */
export const NUMERIC_SETTINGS = {
  checkInterval: { min: 0, max: MAX_TIMER_MS, integer: true, unit: 'milliseconds' },
  historySize: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true, unit: 'jobs' },
  maxThreads: { min: 1, max: 1024, integer: true, unit: 'threads' },
  maxConcurrency: { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true, unit: 'jobs' },
  cancelGraceMs: { min: 0, max: MAX_TIMER_MS, integer: true, unit: 'milliseconds' },
  timeoutSeconds: { min: 0, max: MAX_TIMEOUT_SECONDS, integer: false, unit: 'seconds' },
  workerMaxMemoryMb: { min: 0, max: 1024 * 1024, integer: true, unit: 'megabytes' },
  // BullMQ's lock duration and stalled-job check, in milliseconds: a day is far under the ceiling.
  lostWorkerSeconds: { min: 1, max: 86_400, integer: true, unit: 'seconds' },
} as const;

/** The option names, for rejecting misspelt ones. */
export const OPTION_NAMES: readonly (keyof BackgroundJobsOptions)[] = [
  'config',
  'handlers',
  'checkInterval',
  'historySize',
  'isolation',
  'maxThreads',
  'maxConcurrency',
  'cancelGraceMs',
  'timeoutSeconds',
  'workerMaxMemoryMb',
  'store',
  'queueName',
  'worker',
  'lostWorkerSeconds',
  'logger',
];
