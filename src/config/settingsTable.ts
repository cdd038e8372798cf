import os from 'node:os';
import { MAX_TIMEOUT_SECONDS, MAX_TIMER_MS } from '../timerLimit';

/**
 * The one place each setting is declared: the option type, the web.config keys, the defaults, the validation and
 * the configuration table of docs/configuration.md (test/settingsTable.ts) all come from {@link SETTINGS}. Each
 * entry's TSDoc is the setting's documentation: editors show it on the option (options.ts maps the table to the
 * option type, which keeps it), docs/configuration.md copies it, and its `@default` is what that table's default
 * column says.
 */

/** How a setting's option and web.config value are read and checked (settingKinds.ts has one reader a kind). */
export type SettingKind =
  'number' | 'choice' | 'boolean' | 'redisStore' | 'queueName' | 'file' | 'folder' | 'logger';

/** The kinds whose value a manager's `Settings` holds as it is (the others are paths or the logger). */
export const HELD_KINDS = ['number', 'choice', 'boolean', 'redisStore', 'queueName'] as const;

/** One setting: how it is named, read and checked, and what it falls back to. */
export interface SettingSpec {
  readonly kind: SettingKind;
  /** Its web.config `<appSettings>` key (compared case-insensitively); none for an option the file cannot set. */
  readonly key?: string;
  /** `false` for a key that has no option. */
  readonly option?: false;
  /** The value when neither the option nor the key is given; a function when it depends on the machine or on settings above it. */
  readonly default?: string | number | boolean | ((earlier: Readonly<Record<string, unknown>>) => number);
  /** A `choice`'s values, compared case-insensitively (option and web.config text alike). */
  readonly values?: readonly string[];
  /** A `number`'s range, whether it must be whole, and its unit as messages and the docs say it. */
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  readonly unit?: string;
}

/**
 * Every setting, in the order docs/configuration.md lists them and an unknown option's error names them. A time setting's
 * maximum, in its unit, never exceeds {@link MAX_TIMER_MS}: each becomes a timer's delay or period.
 */
export const SETTINGS = {
  /**
   * `attachAssembly` attaches the library. When the file exists but lacks the key, the instance is detached (below):
   * the middleware attaches nothing (`middleware.manager` is `undefined`, `req.backgroundJobs` throws
   * `WBJ_NOT_ATTACHED`) and logs why.
   * @default on
   */
  switch: { kind: 'choice', key: 'WebBackgroundJobs', option: false, values: ['attachAssembly'] },
  /**
   * Path of the XML appSettings file. No file at the default path: defaults apply, attached, and one warning names
   * the file looked for. A missing file at a path you gave is an error.
   * @default `web.config` in the working folder
   */
  config: { kind: 'file', default: 'web.config' },
  /**
   * The handlers folder; the key is relative to the config file, the option to the working folder.
   * @default `handlers` beside the file
   */
  handlers: { kind: 'folder', key: 'jobsHandlersPath', default: 'handlers' },
  /**
   * Milliseconds between re-checks of job state, exposed as `manager.settings.checkInterval`. Waits are event-driven
   * and never poll. The dashboard page refreshes at this period. On a Redis store it is the period of the safety
   * re-check of job state under BullMQ's events: a lost event delays a wait by at most this much (`0` turns the
   * re-check off).
   * @default `1000`
   */
  checkInterval: {
    kind: 'number',
    key: 'jobsCheckInterval',
    default: 1000,
    min: 0,
    max: MAX_TIMER_MS,
    integer: true,
    unit: 'milliseconds',
  },
  /**
   * Finished jobs kept findable (1C keeps roughly the last 1000). Oldest finished are evicted first; active jobs
   * never. `0` forgets a job when it ends, as the seed did. On Redis: BullMQ's `removeOnComplete`/`removeOnFail`
   * counts, so up to this many completed plus this many failed or cancelled.
   * @default `1000`
   */
  historySize: {
    kind: 'number',
    key: 'jobsHistorySize',
    default: 1000,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
    unit: 'jobs',
  },
  /**
   * Where handlers run. `thread`: in a pool of worker threads, so CPU-bound handlers cannot stall the app, and cancel
   * can stop anything; `inline`: on the application's event loop, where handlers reach the app's objects (see
   * [Where handlers run](#where-handlers-run-jobsisolation)).
   * @default `thread`
   */
  isolation: { kind: 'choice', key: 'jobsIsolation', default: 'thread', values: ['thread', 'inline'] },
  /**
   * Worker threads in the pool (thread isolation), started with the first job and reused.
   * @default the number of CPUs
   */
  maxThreads: {
    kind: 'number',
    key: 'jobsMaxThreads',
    default: () => os.availableParallelism(),
    min: 1,
    max: 1024,
    integer: true,
    unit: 'threads',
  },
  /**
   * Jobs running at once; the others wait `Active` in a FIFO queue. In thread isolation at most `jobsMaxThreads`
   * (each running job has a thread of its own). A manager's settings hold `Infinity` when it is unlimited.
   * @default `jobsMaxThreads` (thread), unlimited (inline)
   */
  maxConcurrency: {
    kind: 'number',
    key: 'jobsMaxConcurrency',
    default: (earlier) => (earlier.isolation === 'thread' ? Number(earlier.maxThreads) : Infinity),
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
    unit: 'jobs',
  },
  /**
   * Milliseconds a cancelled or timed-out handler gets to return after its signal aborts, before its worker thread is
   * terminated (thread isolation).
   * @default `1000`
   */
  cancelGraceMs: {
    kind: 'number',
    key: 'jobsCancelGraceMs',
    default: 1000,
    min: 0,
    max: MAX_TIMER_MS,
    integer: true,
    unit: 'milliseconds',
  },
  /**
   * Seconds a job may run (queue time not counted) before it ends `Failed` with `errorInfo.code` `WBJ_JOB_TIMEOUT`;
   * fractions allowed. Its signal aborts; in thread isolation it is stopped like a cancelled job. `execute`'s
   * `options.timeoutSeconds` overrides it per job.
   * @default `0` (none)
   */
  timeoutSeconds: {
    kind: 'number',
    key: 'jobsTimeoutSeconds',
    default: 0,
    min: 0,
    max: MAX_TIMEOUT_SECONDS,
    integer: false,
    unit: 'seconds',
  },
  /**
   * Heap cap of each worker thread (`resourceLimits.maxOldGenerationSizeMb`). A job that exceeds it fails with
   * `WBJ_WORKER_CRASHED`, saying it ran out of memory; the worker is replaced.
   * @default `0` (V8's default)
   */
  workerMaxMemoryMb: {
    kind: 'number',
    key: 'jobsWorkerMaxMemoryMb',
    default: 0,
    min: 0,
    max: 1024 * 1024,
    integer: true,
    unit: 'megabytes',
  },
  /**
   * How many steps of the nice value (Linux's CPU priority, which is per thread there) each worker thread runs below
   * the event loop: CPU-bound jobs then leave a core to the event loop whenever it has requests to serve, and still
   * use every core while it has none. They yield to the machine's other processes alike. `0` runs them at the event
   * loop's priority; a worker never goes past nice 19. No effect on other systems, where the nice value is the whole
   * process's.
   * @default `10`
   */
  workerNice: {
    kind: 'number',
    key: 'jobsWorkerNice',
    default: 10,
    min: 0,
    max: 19,
    integer: true,
    unit: 'nice steps',
  },
  /**
   * `memory`: jobs live in this process. A Redis URL (`redis://host:port/db`, `rediss://` for TLS; user and password
   * in the URL): jobs live in Redis through BullMQ, shared by every instance on the same Redis and queue (see
   * [Beyond one process](#beyond-one-process-redis-through-bullmq)). A Redis store needs the optional peer
   * dependencies bullmq and ioredis (`npm install bullmq ioredis`).
   * @default `memory`
   */
  store: { kind: 'redisStore', key: 'jobsStore', default: 'memory' },
  /**
   * The BullMQ queue of a Redis store: apps sharing one Redis keep apart by it.
   * @default `web-background-jobs`
   */
  queueName: { kind: 'queueName', key: 'jobsQueueName', default: 'web-background-jobs' },
  /**
   * Redis store: whether this instance runs jobs from the queue (`jobsMaxConcurrency` at once, inline unlimited
   * meaning 100). `false` makes a web-only instance that executes, finds, awaits and cancels jobs but runs none.
   * @default `true`
   */
  worker: { kind: 'boolean', key: 'jobsWorker', default: true },
  /**
   * Redis store: whose jobs `manager.on()` hears. `own`: the jobs this instance started or runs; `all`: every
   * instance's jobs, read from the BullMQ event stream the store already follows. In memory every job is the
   * instance's own.
   * @default `own`
   */
  events: { kind: 'choice', key: 'jobsEvents', default: 'own', values: ['own', 'all'] },
  /**
   * Redis store: seconds after which a job whose process stopped answering ends `Failed` with `WBJ_WORKER_LOST`
   * (BullMQ's lock duration and stalled-job check). Longer than the longest event-loop block of an inline handler.
   * @default `30`
   */
  lostWorkerSeconds: {
    kind: 'number',
    key: 'jobsLostWorkerSeconds',
    default: 30,
    min: 1,
    // BullMQ's lock duration and stalled-job check, in milliseconds: a day is far under the ceiling.
    max: 86_400,
    integer: true,
    unit: 'seconds',
  },
  /**
   * Receives failed jobs (uuid, method, error) and start-up notices.
   * @default `console`
   */
  logger: { kind: 'logger' },
  /**
   * How the logger is called: `text` as console (`warn(line)`, `error(line, error)`); `object-first` as pino and
   * bunyan (`warn({ uuid, method, key, code, err }, line)`); `message-first` as winston (`warn(line, fields)`).
   * `auto`: a logger with a `child()` method is structured (message-first when it has winston's `transports`), others
   * get text.
   * @default `auto`
   */
  logFormat: { kind: 'choice', default: 'auto', values: ['auto', 'text', 'object-first', 'message-first'] },
} as const satisfies Record<string, SettingSpec>;

/** A setting's name: its option's name, or `switch` for `WebBackgroundJobs`. */
export type SettingName = keyof typeof SETTINGS;

/** The settings in table order. */
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** A setting's entry, seen through the fields every entry may have. */
export function specOf(name: SettingName): SettingSpec {
  return SETTINGS[name];
}

/** The settings a manager's settings hold as they are, in table order: options of a kind in {@link HELD_KINDS}. */
export const HELD_NAMES = SETTING_NAMES.filter((name) => {
  const { option, kind } = specOf(name);
  return option !== false && (HELD_KINDS as readonly SettingKind[]).includes(kind);
});
