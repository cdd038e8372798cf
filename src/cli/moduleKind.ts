import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** How the consumer's `.js` files load: what the example handler and the printed lines are written as. */
export interface ModuleKind {
  readonly esm: boolean;
  /** The package.json that decided it; none when no folder above has one (Node then loads `.js` as CommonJS). */
  readonly packageJson?: string;
}

/** Node's rule: the nearest package.json above `folder` decides, by its `"type"` (`"module"`, else CommonJS). */
export function moduleKindOf(folder: string): ModuleKind {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    const packageJson = path.join(dir, 'package.json');
    if (existsSync(packageJson)) return { esm: typeOf(packageJson) === 'module', packageJson };
    if (path.dirname(dir) === dir) return { esm: false };
  }
}

function typeOf(packageJson: string): unknown {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { type?: unknown } | null)?.type;
  } catch (error) {
    // Node itself refuses to load a module under a package.json it cannot parse: say which file, and why.
    throw new Error(`cannot read ${packageJson}: ${(error as Error).message}`, { cause: error });
  }
}
