import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { BackgroundJobsManager, type Settings } from 'web-background-jobs';
import { SETTING_NAMES, specOf } from '../../src/config/settingsTable';
import { closeAfterTest, createManager, HANDLERS, recordingLogger, ROOT, tempDir } from '../helpers';
import { settingDocs } from '../settingsTable';

// The settings table is the reference: an editor shows its TSDoc on each option of the published types, and
// web.config.example states its keys and defaults.

/** What an editor shows when hovering each option of BackgroundJobsOptions, as the published dist/index.d.ts gives it. */
function optionHovers(): Map<string, { description: string; default: string }> {
  const entry = path.join(ROOT, 'dist', 'index.d.ts');
  const program = ts.createProgram([entry], {
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const exported = checker
    .getExportsOfModule(module)
    .find((symbol) => symbol.name === 'BackgroundJobsOptions')!;
  const options = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(exported));
  return new Map(
    options.getProperties().map((option) => {
      const tag = option.getJsDocTags(checker).find((candidate) => candidate.name === 'default');
      return [
        option.name,
        {
          description: ts.displayPartsToString(option.getDocumentationComment(checker)).replace(/\s+/g, ' '),
          default: ts.displayPartsToString(tag?.text).replace(/\s+/g, ' '),
        },
      ];
    }),
  );
}

describe('the settings table', () => {
  test('every option of the published BackgroundJobsOptions shows its description and default in an editor', () => {
    const docs = settingDocs();
    const options = SETTING_NAMES.filter((name) => specOf(name).option !== false);
    const hovers = optionHovers();
    expect([...hovers.keys()].sort()).toEqual([...options].sort());
    for (const name of options) {
      expect([name, hovers.get(name)]).toEqual([name, docs[name]]);
      expect(docs[name].description).not.toBe('');
    }
  });

  test('web.config.example sets each key to its default, and its commented-out keys are accepted too', () => {
    const example = readFileSync(path.join(ROOT, 'web.config.example'), 'utf8');
    const config = path.join(tempDir(), 'web.config');
    writeFileSync(config, example.replace(/<!-- (<add key="\w+" value="[^"]*" \/>) -->/g, '$1'));
    const logger = recordingLogger();
    const fromExample = closeAfterTest(
      new BackgroundJobsManager({ config, handlers: HANDLERS, logger }),
    ).settings;
    const defaults = createManager().settings;
    expect(logger.lines.warn).toEqual([]);
    const held = (settings: Settings, key: string): unknown => {
      const name = SETTING_NAMES.find((candidate) => specOf(candidate).key === key);
      return (settings as unknown as Record<string, unknown>)[name ?? ''];
    };
    const set = [...example.matchAll(/^\s*<add key="(\w+)" value="([^"]*)" \/>/gm)];
    const commented = [...example.matchAll(/<!-- <add key="(\w+)" value="([^"]*)" \/> -->/g)];
    expect([set.length, commented.length]).toEqual([expect.any(Number), 2]);
    for (const [, key, value] of set) {
      // Held otherwise: the switch as enabled, the folder as handlersPath (the fixtures' folder here).
      if (key === 'WebBackgroundJobs' || key === 'jobsHandlersPath') continue;
      expect([key, String(held(fromExample, key))]).toEqual([key, value]);
      expect([key, String(held(defaults, key))]).toEqual([key, value]);
    }
    for (const [, key, value] of commented)
      expect([key, String(held(fromExample, key))]).toEqual([key, value]);
  });
});
