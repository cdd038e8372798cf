import { existsSync } from 'node:fs';
import path from 'node:path';
import { didYouMean, typoHint } from '../didYouMean';
import { BackgroundJobsError, describeValue } from '../errors';
import { AppSettings, readAppSettings } from './appSettings';
import { configError } from './configError';
import { readConfigText } from './configText';
import { parseConfiguration } from './configurationXml';
import type { BackgroundJobsOptions, HeldSettings, Settings } from './options';
import { readScheduledJobs, type ScheduledJobDeclaration } from './scheduledJobsSection';
import { missingLoggerMethods, READERS } from './settingKinds';
import { HELD_NAMES, SETTING_NAMES, SETTINGS, type SettingName, specOf } from './settingsTable';

/** The option names, for rejecting misspelt ones: every setting but the key-only switch. */
const OPTION_NAMES = SETTING_NAMES.filter((name) => specOf(name).option !== false);

/** Our web.config keys, for warning about misspelt ones. */
const KEYS = SETTING_NAMES.flatMap((name) => {
  const { key } = specOf(name);
  return key === undefined ? [] : [key];
});
const KNOWN_KEYS = KEYS.map((key) => key.toLowerCase());

/**
 * Reads web.config (if any) and merges the options over it; validates everything once, so the rest of the
 * library trusts the returned {@link Settings} (frozen).
 * @param callerOptions - options the caller took out of `options` for itself (the middleware's), named with the
 *   others when an unknown one is refused.
 */
export function loadSettings(
  options: BackgroundJobsOptions,
  warn: (message: string) => void,
  callerOptions: readonly string[] = [],
): Settings {
  checkOptions(options, [...OPTION_NAMES, ...callerOptions]);
  const configFile = path.resolve(options.config ?? SETTINGS.config.default);
  if (!existsSync(configFile)) {
    if (options.config !== undefined) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        `The config file ${JSON.stringify(options.config)} was not found (looked at ${configFile}); ` +
          'give the path of an existing web.config or leave the config option out to use defaults',
      );
    }
    // Run from another folder, an app would quietly lose its settings: say which file was looked for.
    warn(
      `[web-background-jobs] No config file at ${configFile} (the config option is not given, so web.config is looked for in the working folder); defaults and the options given apply.`,
    );
    return settingsFrom(options, new AppSettings(), [], undefined, process.cwd());
  }
  const root = parseConfiguration(readConfigText(configFile), configFile);
  const appSettings = readAppSettings(root, configFile);
  const scheduledJobs = readScheduledJobs(root, configFile);
  for (const { key, line } of appSettings.values()) {
    if (KNOWN_KEYS.includes(key.toLowerCase())) continue;
    // Other keys belong to the application, unless they start as ours or are one slip away from one of ours.
    const hint = typoHint(key, KEYS);
    if (hint !== '' || /^jobs/i.test(key)) {
      warn(`[web-background-jobs] Unknown key "${key}"${hint} in ${configFile}, line ${line} is ignored.`);
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
  const read = (name: SettingName): unknown =>
    readSetting(name, options, appSettings, configFile ?? 'web.config');
  const enabled = configFile === undefined || read('switch') !== undefined;
  const held: Record<string, unknown> = {};
  for (const name of HELD_NAMES) {
    const fallback = specOf(name).default;
    held[name] = read(name) ?? (typeof fallback === 'function' ? fallback(held) : fallback);
  }
  // Each held setting was read by its kind's reader or defaulted: what HeldSettings maps the same table to.
  const values = held as unknown as HeldSettings;
  if (values.isolation === 'thread' && values.maxConcurrency > values.maxThreads) {
    // maxConcurrency is given (its default never exceeds); maxThreads may be defaulted, then named alike.
    const concurrency = givenName('maxConcurrency', options, appSettings) ?? 'maxConcurrency';
    const threads =
      givenName('maxThreads', options, appSettings) ??
      (concurrency === 'maxConcurrency' ? 'maxThreads' : SETTINGS.maxThreads.key);
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `${concurrency} (${values.maxConcurrency}) cannot exceed ${threads} (${values.maxThreads}) in thread isolation, ` +
        'where each running job has a worker thread of its own; raise the threads or lower the concurrency',
    );
  }
  const handlers = read('handlers') as string | undefined;
  return Object.freeze({
    enabled,
    disabledReason: enabled ? undefined : notAttachedReason(configFile, appSettings),
    configFile,
    handlersPath:
      options.handlers !== undefined
        ? path.resolve(options.handlers)
        : path.resolve(configFolder, handlers || SETTINGS.handlers.default),
    ...values,
    scheduledJobs,
  });
}

/** A setting named as it was given: the option's name, the web.config key, or `undefined` when defaulted. */
function givenName(
  name: SettingName,
  options: BackgroundJobsOptions,
  appSettings: AppSettings,
): string | undefined {
  const { key } = specOf(name);
  if (options[name as keyof BackgroundJobsOptions] !== undefined) return name;
  return key !== undefined && appSettings.get(key) !== undefined ? key : undefined;
}

/** Why a config file does not attach the library, naming a key that looks like a misspelt `WebBackgroundJobs`. */
function notAttachedReason(configFile: string | undefined, appSettings: AppSettings): string {
  const { key, values } = SETTINGS.switch;
  const reason = `web-background-jobs is not attached: ${configFile} has no <add key="${key}" value="${values[0]}" /> in <appSettings>.`;
  for (const setting of appSettings.values()) {
    const hint = didYouMean(setting.key, [key]);
    if (hint !== '')
      return `${reason} Its key "${setting.key}" (line ${setting.line}) looks like a typo: ${hint}`;
  }
  return reason;
}

/**
 * A setting's option if given, else its web.config key, else `undefined`, read by its kind's reader; a value the
 * reader refuses fails start-up naming the option, or the key and its line, and the form expected.
 */
function readSetting(
  name: SettingName,
  options: BackgroundJobsOptions,
  appSettings: AppSettings,
  configFile: string,
): unknown {
  const spec = specOf(name);
  const reader = READERS[spec.kind];
  const given = spec.option === false ? undefined : options[name as keyof BackgroundJobsOptions];
  if (given !== undefined) {
    const value = reader.fromOption(given, spec);
    if (value !== undefined) return value;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The ${name} option must be ${reader.expected(spec, 'option')}, got ${describeValue(given)}`,
    );
  }
  const setting = spec.key === undefined ? undefined : appSettings.get(spec.key);
  if (setting === undefined) return undefined;
  const value = reader.fromText(setting.value, spec);
  if (value !== undefined) return value;
  throw configError(
    configFile,
    setting.line,
    `${spec.key} must be ${reader.expected(spec, 'key')}, got ${JSON.stringify(setting.value)}`,
  );
}

/** What can be checked before the file is read: the options object, its names, the config path and the logger. */
function checkOptions(options: BackgroundJobsOptions, optionNames: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new BackgroundJobsError('WBJ_CONFIG', `Options must be an object, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!optionNames.includes(name)) {
      throw new BackgroundJobsError(
        'WBJ_CONFIG',
        `Unknown option ${JSON.stringify(name)}${optionHint(name, optionNames)}; expected one of ${optionNames.join(', ')}`,
      );
    }
  }
  // The config option has no key, so no file is read to check it.
  readSetting('config', options, new AppSettings(), 'web.config');
  const missing = missingLoggerMethods(options.logger);
  if (options.logger !== undefined && missing.length > 0) {
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `The logger option must have warn and error methods (console fits); ${describeValue(options.logger)} lacks ${missing.join(', ')}`,
    );
  }
}

/** The option meant by a misspelt one, or by the web.config key given as an option (`jobsIsolation`). */
function optionHint(name: string, optionNames: readonly string[]): string {
  const keyed = OPTION_NAMES.find((option) => specOf(option).key?.toLowerCase() === name.toLowerCase());
  return keyed === undefined
    ? typoHint(name, optionNames)
    : ` (${JSON.stringify(name)} is the web.config key; the option is ${keyed})`;
}
