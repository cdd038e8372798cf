import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as library from 'web-background-jobs';
import { ALIASES } from '../src/compat/aliases';
import { SETTING_NAMES, specOf } from '../src/config/settingsTable';
import { ERROR_CODES } from '../src/errors';
import { expectGenerated } from './docs/generated';
import { ROOT } from './helpers';
import { nameTable } from './nameTable';
import { settingDocs, settingsTable } from './settingsTable';

// The docs are the reference users read: they must name every fact the code defines. Each table lives on its page.
const NAMES_PAGE = path.join(ROOT, 'docs', '1c-names.md');
const SETTINGS_PAGE = path.join(ROOT, 'docs', 'configuration.md');
const API_PAGE = path.join(ROOT, 'docs', 'api.md');
const example = readFileSync(path.join(ROOT, 'web.config.example'), 'utf8');

/** The keys of web.config.example's appSettings, commented out or not. */
const exampleKeys = [...example.matchAll(/^\s*(?:<!-- )?<add key="(\w+)" value="[^"]*" \/>/gm)].map(
  ([, key]) => ({
    key,
  }),
);

describe('the docs and web.config.example keep up with the code', () => {
  test('the 1C name table of docs/1c-names.md is the alias table (UPDATE_README=1 npx jest test/readme.test.ts rewrites it)', () => {
    expectGenerated(
      NAMES_PAGE,
      '<!-- The 1C names: generated from src/compat/aliases.ts, see test/readme.test.ts -->',
      '<!-- end of the 1C names -->',
      nameTable(),
    );
  });

  test('the configuration table of docs/configuration.md is the settings table: names, defaults, accepted values and meanings (UPDATE_README=1 rewrites it)', () => {
    expectGenerated(
      SETTINGS_PAGE,
      '<!-- The settings: generated from src/config/settingsTable.ts, see test/readme.test.ts -->',
      '<!-- end of the settings -->',
      settingsTable(),
    );
  });

  test.each(SETTING_NAMES.map((name) => [name]))(
    'the documented default of %s is the one it runs with',
    (name) => {
      const documented = settingDocs()[name].default;
      const fallback = specOf(name).default;
      expect(documented).not.toBe('');
      // A default that depends on the machine or on other settings is described in words; a fixed one is quoted.
      if (fallback !== undefined && typeof fallback !== 'function')
        expect(documented).toMatch(new RegExp(`^\`${String(fallback)}\`( |$)`));
    },
  );

  test.each(Object.entries(ALIASES.exports))(
    'the package exports %s under its 1C names too',
    (member, names) => {
      const exported = library as unknown as Record<string, unknown>;
      expect(exported[member]).toBeDefined();
      for (const name of names) expect([name, exported[name]]).toEqual([name, exported[member]]);
    },
  );

  test.each(SETTING_NAMES.flatMap((name) => specOf(name).key ?? []).map((key) => [key]))(
    'the key %s is documented in web.config.example',
    (key) => {
      expect(exampleKeys.map((written) => written.key)).toContain(key);
    },
  );

  test('every key of web.config.example is a key of the settings table', () => {
    const keys = SETTING_NAMES.flatMap((name) => specOf(name).key ?? []);
    for (const { key } of exampleKeys) expect([key, keys.includes(key)]).toEqual([key, true]);
  });

  test.each(ERROR_CODES.map((code) => [code]))('the error table of docs/api.md explains %s', (code) => {
    expect(readFileSync(API_PAGE, 'utf8')).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
  });
});
