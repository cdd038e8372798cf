import { existsSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobsError, describeValue } from '../errors';
import { AppSettings, readAppSettings } from './appSettings';
import { configError } from './configError';
import { readConfigText } from './configText';
import { parseConfiguration } from './configurationXml';
import {
  type BackgroundJobsOptions,
  CONFIG_KEYS,
  DEFAULTS,
  type Isolation,
  NUMERIC_SETTINGS,
  OPTION_NAMES,
  type Settings,
} from './options';
import { readScheduledJobs, type ScheduledJobDeclaration } from './scheduledJobsSection';

const ISOLATIONS: readonly Isolation[] = ['thread', 'inline'];

/** The only value of `WebBackgroundJobs` the seed knows: it attaches the library. */
const ATTACH = 'attachAssembly';

/** Our keys lower-cased, for warning about misspelt `jobs…` keys (other keys belong to the application). */
const KNOWN_KEYS: string[] = Object.values(CONFIG_KEYS).map((key) => key.toLowerCase());

/**
 * Reads web.config (if any) and merges the options over it; validates everything once, so the rest of the
 * library trusts the returned {@link Settings} (frozen).
 */
export function loadSettings(options: BackgroundJobsOptions, warn: (message: string) => void): Settings {
  checkOptionNames(options);
  const configFile = path.resolve(options.config ?? DEFAULTS.configFile);
  if (!existsSync(configFile)) {
    if (options.config !== undefined) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        `The config file ${JSON.stringify(options.config)} was not found (looked at ${configFile}); ` +
          'give the path of an existing web.config or leave the config option out to use defaults',
      );
    }
    return settingsFrom(options, new AppSettings(), [], undefined, process.cwd());
  }
  const root = parseConfiguration(readConfigText(configFile), configFile);
  const appSettings = readAppSettings(root, configFile);
  const scheduledJobs = readScheduledJobs(root, configFile);
  for (const { key, line } of appSettings.values()) {
    if (/^jobs/i.test(key) && !KNOWN_KEYS.includes(key.toLowerCase())) {
      warn(`[web-background-jobs] Unknown key "${key}" in ${configFile}, line ${line} is ignored.`);
    }
  }
  return settingsFrom(options, appSettings, scheduledJobs, configFile, path.dirname(configFile));
}

function settingsFrom(
  options: BackgroundJobsOptions,
  appSettings: AppSettings,
  scheduledJobs: readonly ScheduledJobDeclaration[],
  configFile: string | undefined,
  configFolder: string,
): Settings {
  const switchSetting = appSettings.get(CONFIG_KEYS.switch);
  if (switchSetting !== undefined && switchSetting.value.trim().toLowerCase() !== ATTACH.toLowerCase()) {
    throw configError(
      configFile ?? 'web.config',
      switchSetting.line,
      `${CONFIG_KEYS.switch} must be "${ATTACH}", got ${JSON.stringify(switchSetting.value)}`,
    );
  }
  const enabled = configFile === undefined || switchSetting !== undefined;
  const handlersKey = appSettings.get(CONFIG_KEYS.handlersPath);
  const file = configFile ?? 'web.config';
  const number = (name: keyof typeof NUMERIC_SETTINGS): number | undefined =>
    pickNumber(options, name, appSettings, file);
  const isolation = pickIsolation(options, appSettings, file);
  const maxThreads = number('maxThreads') ?? DEFAULTS.maxThreads;
  const maxConcurrency = number('maxConcurrency') ?? (isolation === 'thread' ? maxThreads : Infinity);
  if (isolation === 'thread' && maxConcurrency > maxThreads) {
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `${CONFIG_KEYS.maxConcurrency} (${maxConcurrency}) cannot exceed ${CONFIG_KEYS.maxThreads} (${maxThreads}) in thread isolation, ` +
        'where each running job has a worker thread of its own; raise the threads or lower the concurrency',
    );
  }
  return Object.freeze({
    enabled,
    disabledReason: enabled
      ? undefined
      : `web-background-jobs is not attached: ${configFile} has no <add key="${CONFIG_KEYS.switch}" value="${ATTACH}" /> in <appSettings>.`,
    configFile,
    handlersPath:
      options.handlers !== undefined
        ? path.resolve(checkString('handlers', options.handlers))
        : path.resolve(configFolder, handlersKey?.value || DEFAULTS.handlersFolder),
    checkInterval: number('checkInterval') ?? DEFAULTS.checkInterval,
    historySize: number('historySize') ?? DEFAULTS.historySize,
    isolation,
    maxThreads,
    maxConcurrency,
    cancelGraceMs: number('cancelGraceMs') ?? DEFAULTS.cancelGraceMs,
    timeoutSeconds: number('timeoutSeconds') ?? DEFAULTS.timeoutSeconds,
    workerMaxMemoryMb: number('workerMaxMemoryMb') ?? DEFAULTS.workerMaxMemoryMb,
    store: pickStore(options, appSettings, file),
    queueName: pickQueueName(options, appSettings, file),
    worker: pickWorker(options, appSettings, file),
    lostWorkerSeconds: number('lostWorkerSeconds') ?? DEFAULTS.lostWorkerSeconds,
    scheduledJobs,
  });
}

/** A web.config key or option, as given: `undefined` when neither is set, else where it came from. */
function pickRaw(
  options: BackgroundJobsOptions,
  name: 'store' | 'queueName' | 'worker',
  appSettings: AppSettings,
  configFile: string,
): { value: unknown; fail: (expected: string) => BackgroundJobsError } | undefined {
  if (options[name] !== undefined) {
    const value = options[name];
    return {
      value,
      fail: (expected) =>
        new BackgroundJobsError(
          'WBJ_CONFIG',
          `The ${name} option must be ${expected}, got ${describeValue(value)}`,
        ),
    };
  }
  const setting = appSettings.get(CONFIG_KEYS[name]);
  if (setting === undefined) return undefined;
  return {
    value: setting.value.trim(),
    fail: (expected) =>
      configError(
        configFile,
        setting.line,
        `${CONFIG_KEYS[name]} must be ${expected}, got ${JSON.stringify(setting.value)}`,
      ),
  };
}

function pickStore(options: BackgroundJobsOptions, appSettings: AppSettings, configFile: string): string {
  const given = pickRaw(options, 'store', appSettings, configFile);
  if (given === undefined) return DEFAULTS.store;
  const expected = '"memory" or a Redis URL (redis://host:port/db, rediss:// for TLS)';
  if (typeof given.value !== 'string') throw given.fail(expected);
  if (given.value.toLowerCase() === 'memory') return 'memory';
  let url: URL;
  try {
    url = new URL(given.value);
  } catch {
    throw given.fail(expected);
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '')
    throw given.fail(expected);
  return given.value;
}

function pickQueueName(options: BackgroundJobsOptions, appSettings: AppSettings, configFile: string): string {
  const given = pickRaw(options, 'queueName', appSettings, configFile);
  if (given === undefined) return DEFAULTS.queueName;
  // BullMQ builds its Redis keys as prefix:queue:…, so a colon would blur two queues' keys.
  if (typeof given.value === 'string' && /^[\w.-]{1,100}$/.test(given.value)) return given.value;
  throw given.fail('a name of 1 to 100 letters, digits, ".", "-" or "_"');
}

function pickWorker(options: BackgroundJobsOptions, appSettings: AppSettings, configFile: string): boolean {
  const given = pickRaw(options, 'worker', appSettings, configFile);
  if (given === undefined) return DEFAULTS.worker;
  if (typeof given.value === 'boolean') return given.value;
  if (typeof given.value === 'string' && options.worker === undefined) {
    const text = given.value.toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  throw given.fail(options.worker === undefined ? '"true" or "false"' : 'true or false');
}

/** The option if given, else the web.config key, else `undefined`; validated against its range either way. */
function pickNumber(
  options: BackgroundJobsOptions,
  name: keyof typeof NUMERIC_SETTINGS,
  appSettings: AppSettings,
  configFile: string,
): number | undefined {
  const range = NUMERIC_SETTINGS[name];
  const accepts = (value: number): boolean =>
    (range.integer ? Number.isSafeInteger(value) : Number.isFinite(value)) &&
    value >= range.min &&
    value <= range.max;
  const expected = `${range.min > 0 ? 'a positive' : 'a non-negative'} ${range.integer ? 'integer' : 'number'} of ${
    range.unit
  }${range.max < Number.MAX_SAFE_INTEGER ? ` up to ${range.max}` : ''}`;
  const given = options[name];
  if (given !== undefined) {
    if (typeof given === 'number' && accepts(given)) return given;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The ${name} option must be ${expected}, got ${describeValue(given)}`,
    );
  }
  const setting = appSettings.get(CONFIG_KEYS[name]);
  if (setting === undefined) return undefined;
  const text = setting.value.trim();
  if (/^\d+(\.\d+)?$/.test(text) && accepts(Number(text))) return Number(text);
  throw configError(
    configFile,
    setting.line,
    `${CONFIG_KEYS[name]} must be ${expected}, got ${JSON.stringify(setting.value)}`,
  );
}

function pickIsolation(
  options: BackgroundJobsOptions,
  appSettings: AppSettings,
  configFile: string,
): Isolation {
  const expected = ISOLATIONS.map((value) => JSON.stringify(value)).join(' or ');
  if (options.isolation !== undefined) {
    if (ISOLATIONS.includes(options.isolation)) return options.isolation;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The isolation option must be ${expected}, got ${describeValue(options.isolation)}`,
    );
  }
  const setting = appSettings.get(CONFIG_KEYS.isolation);
  if (setting === undefined) return DEFAULTS.isolation;
  const value = ISOLATIONS.find((isolation) => isolation === setting.value.trim().toLowerCase());
  if (value !== undefined) return value;
  throw configError(
    configFile,
    setting.line,
    `${CONFIG_KEYS.isolation} must be ${expected}, got ${JSON.stringify(setting.value)}`,
  );
}

function checkOptionNames(options: BackgroundJobsOptions): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new BackgroundJobsError('WBJ_CONFIG', `Options must be an object, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(name)) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        `Unknown option ${JSON.stringify(name)}; expected one of ${OPTION_NAMES.join(', ')}`,
      );
    }
  }
  if (options.config !== undefined) checkString('config', options.config);
  const logger: unknown = options.logger;
  if (logger !== undefined) {
    const methods = ['warn', 'error'] as const;
    const missing = methods.filter(
      (method) => typeof (logger as Record<string, unknown> | null)?.[method] !== 'function',
    );
    if (missing.length > 0) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        `The logger option must have warn and error methods (console fits); ${describeValue(logger)} lacks ${missing.join(', ')}`,
      );
    }
  }
}

function checkString(option: string, value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new BackgroundJobsError(
    'WBJ_CONFIG',
    `The ${option} option must be a non-empty path, got ${describeValue(value)}`,
  );
}
