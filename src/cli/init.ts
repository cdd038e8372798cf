import { constants, copyFileSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ModuleKind, moduleKindOf } from './moduleKind';
import { EXAMPLE_MODULE, exampleHandler } from './templates';

/** The package's own web.config.example (dist/cli/ is two folders below the package root): tested to hold every key at its default. */
const EXAMPLE_CONFIG = path.join(__dirname, '..', '..', 'web.config.example');
/** Every extension the handler resolver loads a module from (`.ts` under a TypeScript loader). */
const MODULE_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts'];

export type InitOutcome =
  | {
      readonly done: true;
      readonly config: string;
      readonly handler: string;
      readonly kind: ModuleKind;
      /** The files that existed and were replaced (with `force`). */
      readonly replaced: readonly string[];
    }
  /** Nothing was written: these files exist and `force` was not given. */
  | { readonly done: false; readonly existing: readonly string[] };

/** Writes web.config and handlers/Example.(m)js into `folder`, creating it; nothing when a file is in the way, unless `force`. */
export function init(folder: string, force: boolean): InitOutcome {
  const root = path.resolve(folder);
  const kind = moduleKindOf(root);
  const config = path.join(root, 'web.config');
  const handlers = path.join(root, 'handlers');
  const handler = path.join(handlers, EXAMPLE_MODULE + (kind.esm ? '.mjs' : '.js'));
  const existing = [config, ...exampleModules(handlers)].filter(
    (file) => lstatSync(file, { throwIfNoEntry: false }) !== undefined,
  );
  if (existing.length > 0 && !force) return { done: false, existing };
  mkdirSync(handlers, { recursive: true });
  // An Example module of another extension beside the new one would make Example.Run ambiguous: it is replaced too.
  for (const file of existing) if (file !== config && file !== handler) rmSync(file);
  // Without force the checks above found nothing, and the exclusive flags keep it so if a file appeared since.
  copyFileSync(EXAMPLE_CONFIG, config, force ? 0 : constants.COPYFILE_EXCL);
  writeFileSync(handler, exampleHandler(kind), { flag: force ? 'w' : 'wx' });
  return { done: true, config, handler, kind, replaced: existing };
}

/** The handler modules named like the example, whatever their case and extension: the resolver would load any of them. */
function exampleModules(handlers: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(handlers);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => {
      const extension = path.extname(entry);
      return (
        MODULE_EXTENSIONS.includes(extension) &&
        path.basename(entry, extension).toLowerCase() === EXAMPLE_MODULE.toLowerCase()
      );
    })
    .map((entry) => path.join(handlers, entry));
}
