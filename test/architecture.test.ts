import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './helpers';

// The layer check of `npm run lint` (config/dependency-cruiser.cjs): it passes on src/ as it is, and it catches each
// kind of break, proven on a copy of src/ with one of each planted. The rule names are the config's.

const CONFIG = path.join(ROOT, 'config', 'dependency-cruiser.cjs');
const CLI = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** The violations the check finds in `folder`/src, as the config's rule names with the two files of each. */
function violationsIn(folder: string): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    // The config's paths (src/…, tsconfig.json) are relative: the check runs in the folder it checks.
    const args = [CLI, 'src', '--config', CONFIG, '--output-type', 'json'];
    execFile(process.execPath, args, { cwd: folder, timeout: 100_000 }, (error, stdout, stderr) => {
      try {
        const { summary } = JSON.parse(stdout) as {
          summary: { violations: { rule: { name: string }; from: string; to: string }[] };
        };
        resolve(summary.violations.map(({ rule, from, to }) => ({ rule: rule.name, from, to })));
      } catch {
        reject(new Error(`dependency-cruiser gave no report (${error?.message ?? 'no error'}): ${stderr}`));
      }
    });
  });
}

/** A copy of src/ and the tsconfig.json the check resolves it with, with these files added or appended to. */
function copyOfSources(planted: Record<string, string>, appended: Record<string, string>): string {
  const folder = tempDir();
  cpSync(path.join(ROOT, 'src'), path.join(folder, 'src'), { recursive: true });
  copyFileSync(path.join(ROOT, 'tsconfig.json'), path.join(folder, 'tsconfig.json'));
  for (const [file, text] of Object.entries(planted)) writeFileSync(path.join(folder, file), text);
  for (const [file, text] of Object.entries(appended))
    writeFileSync(path.join(folder, file), text, { flag: 'a' });
  return folder;
}

describe('the layer check', () => {
  let real: Violation[];
  let broken: Violation[];
  beforeAll(async () => {
    const planted = copyOfSources(
      {
        // A type-only import counts: a lower layer names no type of a higher one either.
        'src/jobs/plantedUpward.ts':
          "import type { BackgroundJobsManager } from '../manager/BackgroundJobsManager';\nexport type Planted = BackgroundJobsManager;\n",
        'src/jobs/plantedCircleA.ts':
          "import { b } from './plantedCircleB';\nexport const a = (): number => b() + 1;\n",
        'src/jobs/plantedCircleB.ts':
          "import { a } from './plantedCircleA';\nexport const b = (): number => a() + 1;\n",
        'src/jobs/plantedOrphan.ts': 'export const orphan = 1;\n',
        // The command loads only what it uses: never the whole package.
        'src/cli/plantedThroughPackage.ts': "export { backgroundJobs } from '../index';\n",
      },
      // The upward import and the circle are reached from the package, the import of the package from the command: so
      // each breaks one rule only.
      {
        'src/index.ts': "\nimport './jobs/plantedUpward';\nimport './jobs/plantedCircleA';\n",
        'src/cli/main.ts': "\nimport './plantedThroughPackage';\n",
      },
    );
    [real, broken] = await Promise.all([violationsIn(ROOT), violationsIn(planted)]);
  }, 120_000); // two checks of ~2 s of CPU each, at once: generous for a machine under load

  test('finds no violation in src/', () => {
    expect(real).toEqual([]);
  });

  test('reports an upward import, a runtime circle, an unreachable file and the command importing the package planted in a copy of src/, each by its rule name', () => {
    expect(broken).toEqual(
      expect.arrayContaining([
        {
          rule: 'no-import-above-model',
          from: 'src/jobs/plantedUpward.ts',
          to: 'src/manager/BackgroundJobsManager.ts',
        },
        { rule: 'no-circular', from: 'src/jobs/plantedCircleA.ts', to: 'src/jobs/plantedCircleB.ts' },
        { rule: 'no-unreachable-source', from: 'src/jobs/plantedOrphan.ts', to: 'src/jobs/plantedOrphan.ts' },
        {
          rule: 'no-command-through-the-package',
          from: 'src/cli/plantedThroughPackage.ts',
          to: 'src/index.ts',
        },
      ]),
    );
    expect(broken).toHaveLength(4);
  });
});
