import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { READERS } from '../src/config/settingKinds';
import { SETTING_NAMES, type SettingName, specOf } from '../src/config/settingsTable';
import { anchorsOf, markdownPages } from './docs/markdownLinks';
import { ROOT } from './helpers';
import { markdownTable } from './nameTable';

/** A setting's TSDoc: its description on one line, and its `@default` as the default column of docs/configuration.md says it. */
export interface SettingDoc {
  readonly description: string;
  readonly default: string;
}

const TABLE_FILE = path.join(ROOT, 'src', 'config', 'settingsTable.ts');

/** The TSDoc of each entry of the settings table, read from its source as an editor reads it. */
export function settingDocs(): Record<SettingName, SettingDoc> {
  const source = ts.createSourceFile(
    TABLE_FILE,
    readFileSync(TABLE_FILE, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const docs: Partial<Record<SettingName, SettingDoc>> = {};
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'SETTINGS') {
      let table: ts.Node | undefined = node.initializer;
      while (table !== undefined && (ts.isSatisfiesExpression(table) || ts.isAsExpression(table)))
        table = table.expression;
      if (table === undefined || !ts.isObjectLiteralExpression(table))
        throw new Error('SETTINGS is no object');
      for (const entry of table.properties) {
        const [doc] = ts.getJSDocCommentsAndTags(entry).filter(ts.isJSDoc);
        const tag = doc?.tags?.find((candidate) => candidate.tagName.text === 'default');
        docs[(entry.name?.getText() ?? '') as SettingName] = {
          description: oneLine(ts.getTextOfJSDocComment(doc?.comment)),
          default: oneLine(ts.getTextOfJSDocComment(tag?.comment)),
        };
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return docs as Record<SettingName, SettingDoc>;
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** The configuration table of docs/configuration.md, made from the settings table: names, defaults, accepted values, meaning. */
export function settingsTable(): string {
  const docs = settingDocs();
  const rows = SETTING_NAMES.map((name) => {
    const spec = specOf(name);
    const accepts = READERS[spec.kind].expected(spec, spec.key === undefined ? 'option' : 'key');
    return [
      spec.key === undefined ? '' : `\`${spec.key}\``,
      spec.option === false ? '' : `\`${name}\``,
      docs[name].default,
      accepts,
      toPageOfHeading(docs[name].description),
    ];
  });
  return markdownTable(['key', 'option', 'default', 'accepts', 'meaning'], rows);
}

/**
 * A description links a heading by its anchor alone (`[Where handlers run](#where-handlers-run-jobsisolation)`), as
 * the TSDoc knows no page; in the table, the link goes to the page of docs/ that has that heading. An anchor no page
 * has is left as it is, for the link test to report.
 */
function toPageOfHeading(description: string): string {
  const pages = markdownPages(ROOT).filter((page) => page.startsWith('docs/'));
  return description.replace(/\]\(#([^)]+)\)/g, (link, anchor: string) => {
    const page = pages.find((candidate) =>
      anchorsOf(readFileSync(path.join(ROOT, candidate), 'utf8')).has(anchor),
    );
    return page === undefined ? link : `](${path.posix.relative('docs', page)}#${anchor})`;
  });
}
