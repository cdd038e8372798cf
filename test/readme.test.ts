import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as library from 'web-background-jobs';
import { ALIASES } from '../src/compat/aliases';
import { SETTING_NAMES, specOf } from '../src/config/settingsTable';
import { ERROR_CODES } from '../src/errors';
import { ROOT } from './helpers';
import { nameTable } from './nameTable';
import { settingDocs, settingsTable } from './settingsTable';

// The README is the reference users read: it must name every fact the code defines.
const readmePath = path.join(ROOT, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const example = readFileSync(path.join(ROOT, 'web.config.example'), 'utf8');

/**
 * Checks that the README holds `generated` between the two markers; with UPDATE_README=1 it writes it there instead
 * (`UPDATE_README=1 npx jest test/readme.test.ts`).
 */
function expectGenerated(startMarker: string, endMarker: string, generated: string): void {
  const current = readFileSync(readmePath, 'utf8');
  const start = current.indexOf(startMarker);
  const end = current.indexOf(endMarker);
  expect([start, end].every((at) => at >= 0)).toBe(true);
  const written = current.slice(start + startMarker.length, end).trim();
  if (process.env.UPDATE_README === '1' && written !== generated) {
    writeFileSync(
      readmePath,
      `${current.slice(0, start + startMarker.length)}\n\n${generated}\n\n${current.slice(end)}`,
    );
    return;
  }
  expect(written).toBe(generated);
}

/** The keys of web.config.example's appSettings, commented out or not. */
const exampleKeys = [...example.matchAll(/^\s*(?:<!-- )?<add key="(\w+)" value="[^"]*" \/>/gm)].map(
  ([, key]) => ({
    key,
  }),
);

describe('the README and web.config.example keep up with the code', () => {
  test('the 1C name table is the alias table (UPDATE_README=1 npx jest test/readme.test.ts rewrites it)', () => {
    expectGenerated(
      '<!-- The 1C names: generated from src/compat/aliases.ts, see test/readme.test.ts -->',
      '<!-- end of the 1C names -->',
      nameTable(),
    );
  });

  test('the configuration table is the settings table: names, defaults, accepted values and meanings (UPDATE_README=1 rewrites it)', () => {
    expectGenerated(
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

  test.each(ERROR_CODES.map((code) => [code]))('the error table explains %s', (code) => {
    expect(readme).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
  });
});
