import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobsError, describeValue } from '../errors';
import { AppSettings, configError, readAppSettings } from './appSettings';
import { type BackgroundJobsOptions, CONFIG_KEYS, DEFAULTS, OPTION_NAMES, type Settings } from './options';

/** The only value of `WebBackgroundJobs` the seed knows: it attaches the library. */
const ATTACH = 'attachAssembly';

/** Our keys lower-cased, for warning about misspelt `jobs…` keys (other keys belong to the application). */
const KNOWN_KEYS: string[] = Object.values(CONFIG_KEYS).map((key) => key.toLowerCase());

/**
 * Reads web.config (if any) and merges the options over it; validates everything once, so the rest of the
 * library trusts the returned {@link Settings}.
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
    return settingsFrom(options, new AppSettings(), undefined, process.cwd());
  }
  let xml: string;
  try {
    xml = readFileSync(configFile, 'utf8');
  } catch (error) {
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The config file ${configFile} could not be read: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  const appSettings = readAppSettings(xml, configFile);
  for (const { key, line } of appSettings.values()) {
    if (/^jobs/i.test(key) && !KNOWN_KEYS.includes(key.toLowerCase())) {
      warn(
        `[web-background-jobs] Unknown key "${key}" in ${configFile}${line ? `, line ${line}` : ''} is ignored.`,
      );
    }
  }
  return settingsFrom(options, appSettings, configFile, path.dirname(configFile));
}

function settingsFrom(
  options: BackgroundJobsOptions,
  appSettings: AppSettings,
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
  return {
    enabled,
    disabledReason: enabled
      ? undefined
      : `web-background-jobs is not attached: ${configFile} has no <add key="${CONFIG_KEYS.switch}" value="${ATTACH}" /> in <appSettings>.`,
    configFile,
    handlersPath:
      options.handlers !== undefined
        ? path.resolve(checkString('handlers', options.handlers))
        : path.resolve(configFolder, handlersKey?.value || DEFAULTS.handlersFolder),
    checkInterval: pick(options, 'checkInterval', appSettings, configFile, 'milliseconds'),
    historySize: pick(options, 'historySize', appSettings, configFile, 'jobs'),
  };
}

/** The option if given, else the web.config key, else the default; each validated as a non-negative integer. */
function pick(
  options: BackgroundJobsOptions,
  option: 'checkInterval' | 'historySize',
  appSettings: AppSettings,
  configFile: string | undefined,
  unit: string,
): number {
  const key = CONFIG_KEYS[option];
  const given = options[option];
  if (given !== undefined) {
    if (Number.isSafeInteger(given) && given >= 0) return given;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The ${option} option must be a non-negative integer of ${unit}, got ${describeValue(given)}`,
    );
  }
  const setting = appSettings.get(key);
  if (setting === undefined) return DEFAULTS[option];
  const text = setting.value.trim();
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  throw configError(
    configFile ?? 'web.config',
    setting.line,
    `${key} must be a non-negative integer of ${unit}, got ${JSON.stringify(setting.value)}`,
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
