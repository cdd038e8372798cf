import path from 'node:path';
import type { InitOutcome } from './init';
import type { ModuleKind } from './moduleKind';
import { appLines, DASHBOARD_PATH, EXAMPLE_METHOD, EXAMPLE_ROUTE } from './templates';

/** What init did, and what to do next: the lines to add to the app, how to start the example job and watch it. */
export function initReport(outcome: Extract<InitOutcome, { done: true }>, folder: string): string {
  const { config, handler, kind, replaced } = outcome;
  const verb = (file: string) => (replaced.includes(file) ? 'Replaced' : 'Wrote');
  const [importLine, useLine, routeLine, dashboardLine] = appLines(kind).map((line) => `  ${line}`);
  const place = path.resolve(folder) === process.cwd() ? 'this folder' : shown(folder);
  return [
    `${verb(config)} ${shown(config)}: every setting at its default, each with what it does`,
    `${verb(handler)} ${shown(handler)}: an example job, ${EXAMPLE_METHOD}, ${moduleReason(kind)}`,
    ...replaced
      .filter((file) => file !== config && file !== handler)
      .map((file) => `Removed ${shown(file)}: beside the new one it would make ${EXAMPLE_METHOD} ambiguous`),
    '',
    'Add these three lines to your Express app (the first at the top, the others after `const app = express()`):',
    '',
    importLine,
    useLine,
    routeLine,
    '',
    'and this one to watch your jobs in a dashboard (it answers requests from this machine only):',
    '',
    dashboardLine,
    '',
    `Then start the app from ${place} (web.config is read from the working folder), start the example job with`,
    `\`curl -X POST http://localhost:3000${EXAMPLE_ROUTE}\` and watch it at http://localhost:3000${DASHBOARD_PATH}/`,
    "(with your app's port).",
    '',
  ].join('\n');
}

/** Why init wrote nothing: the files in its way. */
export function refusal(existing: readonly string[]): string {
  const exist = existing.length === 1 ? 'it exists' : 'they exist';
  return `not overwriting ${existing.map(shown).join(', ')}: ${exist}; add --force to replace, or run init in another folder`;
}

function moduleReason({ esm, packageJson }: ModuleKind): string {
  const form = esm ? 'as an ES module' : 'in CommonJS';
  if (packageJson === undefined) return `${form} (no package.json above this folder)`;
  return `${form} (${shown(packageJson)} ${esm ? 'has' : 'has no'} "type": "module")`;
}

/** A path as the user would type it from where they ran the command. */
function shown(file: string): string {
  return path.relative(process.cwd(), path.resolve(file)) || '.';
}
