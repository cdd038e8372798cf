import { configError } from './configError';
import type { XmlElement } from './configurationXml';

/** One `<add key value>` that survived `<clear/>` and `<remove/>`, with where it stands for error messages. */
export interface AppSetting {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the `<add>` element in the file. */
  readonly line: number;
}

/** The surviving `<add>` settings; keys compare case-insensitively, as ASP.NET's appSettings do. */
export class AppSettings {
  readonly #byKey = new Map<string, AppSetting>();

  get(key: string): AppSetting | undefined {
    return this.#byKey.get(key.toLowerCase());
  }

  values(): IterableIterator<AppSetting> {
    return this.#byKey.values();
  }

  add(setting: AppSetting): void {
    this.#byKey.set(setting.key.toLowerCase(), setting);
  }

  remove(key: string): void {
    this.#byKey.delete(key.toLowerCase());
  }

  clear(): void {
    this.#byKey.clear();
  }
}

/**
 * Reads `<configuration><appSettings>` as ASP.NET does: `<add>`, `<remove>` and `<clear/>` apply in document
 * order, and keys compare case-insensitively.
 */
export function readAppSettings(root: XmlElement, file: string): AppSettings {
  const settings = new AppSettings();
  const sections = (root.$$ ?? []).filter((element) => element['#name'] === 'appSettings');
  for (const element of sections.flatMap((section) => section.$$ ?? [])) {
    const name = element['#name'];
    const key = element.$?.key;
    if (name === 'clear') {
      settings.clear();
    } else if ((name === 'add' || name === 'remove') && key === undefined) {
      throw configError(file, element.line, `<${name}> inside <appSettings> needs a key attribute`);
    } else if (name === 'add' && key !== undefined) {
      settings.add({ key, value: element.$?.value ?? '', line: element.line });
    } else if (name === 'remove' && key !== undefined) {
      settings.remove(key);
    } else {
      throw configError(
        file,
        element.line,
        `<${name}> is not allowed inside <appSettings>; use <add>, <remove> or <clear/>`,
      );
    }
  }
  return settings;
}
