import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ALIASES } from '../src/compat/aliases';
import { CONFIG_KEYS, OPTION_NAMES } from '../src/config/options';
import { ERROR_CODES } from '../src/errors';
import { ROOT } from './helpers';

// The README is the reference users read: it must name every fact the code defines.
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const example = readFileSync(path.join(ROOT, 'web.config.example'), 'utf8');

describe('the README and web.config.example keep up with the code', () => {
  test.each(
    Object.values(ALIASES).flatMap((table) => Object.entries(table as Record<string, readonly string[]>)),
  )('the 1C name table lists %s with its 1C names', (member, names) => {
    const row = readme
      .split('\n')
      .find((line) => line.includes(member) && names.every((name) => line.includes(`\`${name}\``)));
    expect(row).toBeDefined();
  });

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
