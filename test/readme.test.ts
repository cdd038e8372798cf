import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as library from 'web-background-jobs';
import { ALIASES } from '../src/compat/aliases';
import { CONFIG_KEYS, OPTION_NAMES } from '../src/config/options';
import { ERROR_CODES } from '../src/errors';
import { ROOT } from './helpers';
import { nameTable } from './nameTable';

// The README is the reference users read: it must name every fact the code defines.
const readmePath = path.join(ROOT, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const example = readFileSync(path.join(ROOT, 'web.config.example'), 'utf8');

/** The markers around the generated 1C name table. */
const NAME_TABLE_START =
  '<!-- The 1C names: generated from src/compat/aliases.ts, see test/readme.test.ts -->';
const NAME_TABLE_END = '<!-- end of the 1C names -->';

describe('the README and web.config.example keep up with the code', () => {
  test('the 1C name table is the alias table (UPDATE_README=1 npx jest test/readme.test.ts rewrites it)', () => {
    const start = readme.indexOf(NAME_TABLE_START);
    const end = readme.indexOf(NAME_TABLE_END);
    expect([start, end].every((at) => at >= 0)).toBe(true);
    const written = readme.slice(start + NAME_TABLE_START.length, end).trim();
    if (process.env.UPDATE_README === '1' && written !== nameTable()) {
      const updated = `${readme.slice(0, start + NAME_TABLE_START.length)}\n\n${nameTable()}\n\n${readme.slice(end)}`;
      writeFileSync(readmePath, updated);
      return;
    }
    expect(written).toBe(nameTable());
  });

  test.each(Object.entries(ALIASES.exports))(
    'the package exports %s under its 1C names too',
    (member, names) => {
      const exported = library as unknown as Record<string, unknown>;
      expect(exported[member]).toBeDefined();
      for (const name of names) expect([name, exported[name]]).toEqual([name, exported[member]]);
    },
  );

  test.each(OPTION_NAMES.map((name) => [name]))('the configuration table documents the option %s', (name) => {
    expect(readme).toMatch(new RegExp(`\\| [^|]*\\| \`${name}\` +\\|`));
  });

  test.each(Object.values(CONFIG_KEYS).map((key) => [key]))(
    'the key %s is documented in the README table and in web.config.example',
    (key) => {
      expect(readme).toMatch(new RegExp(`\\| \`${key}\` +\\|`));
      expect(example).toContain(`<add key="${key}"`);
    },
  );

  test.each(ERROR_CODES.map((code) => [code]))('the error table explains %s', (code) => {
    expect(readme).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
  });
});
