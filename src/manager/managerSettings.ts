import { loadSettings } from '../config/loadSettings';
import { logWriter, type WriteLog } from '../config/logWriter';
import type { BackgroundJobsOptions, Settings } from '../config/options';
import { BackgroundJobsError, checkArgument } from '../errors';

/** @internal Only backgroundJobs() holds it: settings under this key were loaded by loadSettings from the same options. */
export const LOADED_SETTINGS: unique symbol = Symbol('web-background-jobs loaded settings');

/** @internal */
export interface LoadedSettings {
  readonly [LOADED_SETTINGS]: Settings;
}

/**
 * @internal What `new BackgroundJobsManager(options)` is built from: the validated settings (those `loaded` holds, else read
 * now) and the writer of its log lines.
 * @throws BackgroundJobsError `WBJ_CONFIG` for a bad setting, or a web.config that does not attach the library.
 */
export function managerSettings(
  options: BackgroundJobsOptions,
  loaded: LoadedSettings | undefined,
): { log: WriteLog; settings: Settings } {
  const checked = checkArgument(
    'new BackgroundJobsManager(options)',
    options,
    () => {
      // `?.`: a null options value must reach loadSettings' clear error, not fail here.
      const given = (options as BackgroundJobsOptions | null)?.logger ?? console;
      const early = logWriter(given, (options as BackgroundJobsOptions | null)?.logFormat);
      const settings = loaded?.[LOADED_SETTINGS] ?? loadSettings(options, (line) => early('warn', line));
      return { log: logWriter(given, settings.logFormat), settings };
    },
    'WBJ_CONFIG',
  );
  // Before anything is built: a detached instance holds no connection, no timer and no worker.
  if (!checked.settings.enabled) {
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `${checked.settings.disabledReason} Add that key to attach it, or use backgroundJobs(), which then attaches nothing`,
    );
  }
  return checked;
}
