import { Parser } from 'xml2js';
import { BackgroundJobsError } from '../errors';

/** One `<add key value>` that survived `<clear/>` and `<remove/>`, with where it stands for error messages. */
export interface AppSetting {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the `<add>` element in the file, when it can be found. */
  readonly line: number | undefined;
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

/** What xml2js builds with `explicitChildren` and `preserveChildrenOrder`: children in document order. */
export interface XmlElement {
  '#name': string;
  $?: Record<string, string>;
  $$?: XmlElement[];
}

/** Parses web.config and returns its `<configuration>` element. */
export function parseConfiguration(xml: string, file: string): XmlElement {
  const root = parseXml(xml, file);
  if (root === undefined || root['#name'] !== 'configuration') {
    const found = root === undefined ? 'an empty document' : `<${root['#name']}>`;
    throw configError(file, undefined, `the root element must be <configuration>, found ${found}`);
  }
  return root;
}

/**
 * Reads `<configuration><appSettings>` as ASP.NET does: `<add>`, `<remove>` and `<clear/>` apply in document
 * order, and keys compare case-insensitively.
 */
export function readAppSettings(root: XmlElement, xml: string, file: string): AppSettings {
  const settings = new AppSettings();
  const sections = (root.$$ ?? []).filter((element) => element['#name'] === 'appSettings');
  for (const element of sections.flatMap((section) => section.$$ ?? [])) {
    const name = element['#name'];
    const key = element.$?.key;
    if (name === 'clear') {
      settings.clear();
    } else if ((name === 'add' || name === 'remove') && key === undefined) {
      throw configError(file, undefined, `<${name}> inside <appSettings> needs a key attribute`);
    } else if (name === 'add' && key !== undefined) {
      const line = lineOfAdd(xml, 'key', key);
      settings.add({ key, value: element.$?.value ?? '', line });
    } else if (name === 'remove' && key !== undefined) {
      settings.remove(key);
    } else {
      throw configError(
        file,
        undefined,
        `<${name}> is not allowed inside <appSettings>; use <add>, <remove> or <clear/>`,
      );
    }
  }
  return settings;
}

/** A start-up error that names the file and, where known, the line. */
export function configError(file: string, line: number | undefined, problem: string): BackgroundJobsError {
  const where = line === undefined ? file : `${file}, line ${line}`;
  return new BackgroundJobsError('WBJ_CONFIG', `${problem} (${where})`);
}

function parseXml(xml: string, file: string): XmlElement | undefined {
  const parser = new Parser({ explicitChildren: true, preserveChildrenOrder: true, explicitRoot: false });
  let outcome: { error: Error | null; root: XmlElement | null } | undefined;
  // xml2js calls back synchronously unless its `async` option is set, so start-up stays synchronous.
  parser.parseString(xml, (error: Error | null, root: XmlElement | null) => {
    outcome ??= { error, root };
  });
  if (outcome?.error) {
    const [reason, ...position] = outcome.error.message.split('\n');
    const line = /Line: (\d+)/.exec(position.join(' '))?.[1];
    throw configError(
      file,
      line === undefined ? undefined : Number(line) + 1,
      `malformed XML: ${reason}; expected a well-formed <configuration> document`,
    );
  }
  return outcome?.root ?? undefined;
}

/**
 * xml2js keeps no positions, so find the last `<add attribute="value">` in the text, comments blanked out
 * (`key` in `<appSettings>`, `name` in `<scheduledJobs>`).
 */
export function lineOfAdd(xml: string, attribute: 'key' | 'name', value: string): number | undefined {
  const visible = xml.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Keys compare case-insensitively, as ASP.NET's do; names are found as written, so two that differ in case
  // are told apart.
  const flags = attribute === 'key' ? 'gi' : 'g';
  const pattern = new RegExp(`<add\\b[^>]*\\b${attribute}\\s*=\\s*(["'])${escaped}\\1`, flags);
  let index: number | undefined;
  for (const match of visible.matchAll(pattern)) index = match.index;
  return index === undefined ? undefined : visible.slice(0, index).split('\n').length;
}
