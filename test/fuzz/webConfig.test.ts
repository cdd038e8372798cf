import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { BackgroundJobsManager } from 'web-background-jobs';
import { recordingLogger, tempDir } from '../helpers';
import { ConfigLoader } from './configLoader';
import { SETTING_NAMES, specOf } from '../../src/config/settingsTable';
import { check, expectCoded, SEED, timeoutFor } from './fuzz';
import {
  type ConfigFile,
  configFile,
  encode,
  ENCODINGS,
  KEYS,
  mutate,
  withInvalidBytes,
} from './webConfigText';

// web.config is trusted input, but an operator's typo must stop start-up with a WBJ_CONFIG error that points at
// it, never with another error, a hang or an exhausted heap.

/** The five XML entities and character references, decoded, so a name written `a&amp;b` is found as `a&b`. */
function decodeEntities(xml: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return xml.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, body: string) => {
    if (body[0] !== '#') return named[body] ?? entity;
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/**
 * Whether an error message points at something in the file it is about: a line of it, a quoted value or an
 * element found in it, one of our keys written in it, its encoding, or the switch it lacks.
 */
function namesSomethingIn(message: string, file: string, xml: string): boolean {
  const about = message.split(file).join(''); // the file's path is in every message; it proves nothing here
  const lines = xml.split('\n').length;
  const line = /\bline (\d+)/.exec(about);
  if (line !== null && Number(line[1]) >= 1 && Number(line[1]) <= lines + 1) return true;
  const haystack = `${xml}\n${decodeEntities(xml)}`;
  const quoted = about.match(/"(?:[^"\\]|\\.)*"/g) ?? [];
  for (const token of quoted) {
    const value = parseJson(token);
    if (typeof value === 'string' && value.trim() !== '' && haystack.includes(value.trim())) return true;
  }
  const tags = about.match(/<[\w.-]+>/g) ?? [];
  if (tags.some((tag) => haystack.includes(tag.slice(0, -1)))) return true;
  if (KEYS.some((name) => about.includes(name) && haystack.toLowerCase().includes(name.toLowerCase())))
    return true;
  // A file without the switch is refused for what it lacks: the key it must add.
  if (about.includes('<add key="WebBackgroundJobs" value="attachAssembly" />')) return true;
  return /empty document|UTF-?16|UTF-?8|encoding|byte order mark/i.test(about);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The documents the issue names: each exhausted the process or took a minute before its fix. */
const ISSUE_EXAMPLES = [
  '<add name="A" method="Reports.Build" weekDays="1-300000000" />',
  '<add name="A" method="Reports.Build" months="9007199254740992" />',
  '<add name="A" method="Reports.Build" daysOfMonth="1-1000000000000000000000000000000" />',
].map(
  (job) => `<configuration><appSettings><add key="WebBackgroundJobs" value="attachAssembly" /></appSettings>
<scheduledJobs>${job}</scheduledJobs></configuration>`,
);

describe('fuzzing web.config', () => {
  const folder = tempDir();
  const file = path.join(folder, 'web.config');
  const loader = new ConfigLoader();
  afterAll(() => loader.close());

  test('the texts it loads write every web.config key of the settings table, a new setting included', () => {
    const texts = fc.sample(configFile, { numRuns: 300, seed: SEED }).map(({ xml }) => xml);
    const unwritten = SETTING_NAMES.flatMap((name) => specOf(name).key ?? []).filter(
      (key) => !texts.some((xml) => new RegExp(`key=["']${key}["']`, 'i').test(xml)),
    );
    expect(unwritten).toEqual([]);
  });

  test(
    'any web.config text either starts a manager or stops with a WBJ_CONFIG error naming something in the file',
    async () => {
      await check(
        fc.asyncProperty(configFile, async ({ xml, mutations, encoding, invalidBytes }) => {
          const mutated = mutate(xml, mutations);
          writeFileSync(file, withInvalidBytes(encode(mutated, encoding), invalidBytes));
          const outcome = await loader.load(file);
          if (outcome.ok) return;
          if (!outcome.coded || outcome.code !== 'WBJ_CONFIG') {
            throw new Error(`Expected a BackgroundJobsError with code WBJ_CONFIG, got ${outcome.error}`);
          }
          if (!namesSomethingIn(outcome.error, file, mutated)) {
            throw new Error(`The message names nothing of the file: ${outcome.error}`);
          }
        }),
        150,
        ISSUE_EXAMPLES.map(
          (xml) => [{ xml, mutations: [], encoding: 'utf8' as const, invalidBytes: [] }] as [ConfigFile],
        ),
      );
    },
    timeoutFor(150, 300),
  );

  test(
    'a valid web.config reads the same in UTF-8 with or without a BOM and in UTF-16 with a BOM, or UTF-16 is refused by name',
    async () => {
      const valid = fc
        .tuple(
          fc.subarray(['jobsCheckInterval', 'jobsHistorySize', 'jobsCancelGraceMs', 'jobsLostWorkerSeconds']),
          fc.integer({ min: 1, max: 86_400 }),
          fc.constantFrom('thread', 'inline'),
          fc.constantFrom('', 'Приложение', '😀', 'a&amp;b'),
        )
        .map(
          ([keys, value, isolation, extra]) =>
            `<?xml version="1.0" encoding="utf-8"?>\n<!-- ${extra} -->\n<configuration>\n<appSettings>\n` +
            '<add key="WebBackgroundJobs" value="attachAssembly" />\n' +
            `<add key="jobsIsolation" value="${isolation}" />\n<add key="jobsDescription" value="${extra}" />\n` +
            keys.map((name) => `<add key="${name}" value="${value}" />`).join('\n') +
            '\n</appSettings>\n</configuration>\n',
        );
      const settingsOf = async (bytes: Buffer) => {
        writeFileSync(file, bytes);
        const manager = new BackgroundJobsManager({ config: file, logger: recordingLogger() });
        await manager.close({ graceSeconds: 0 });
        return manager.settings;
      };
      const withBom = fc.constantFrom(...ENCODINGS.filter((each) => each.endsWith('BOM')));
      await check(
        fc.asyncProperty(valid, withBom, async (xml, encoding) => {
          const expected = await settingsOf(encode(xml, 'utf8'));
          let actual: typeof expected;
          try {
            actual = await settingsOf(encode(xml, encoding));
          } catch (error) {
            expectCoded(error, ['WBJ_CONFIG']);
            if (encoding.startsWith('utf16') && /UTF-?16/i.test(error.message)) return;
            throw error;
          }
          expect(actual).toEqual(expected);
        }),
        60,
      );
    },
    timeoutFor(60, 100),
  );
});
