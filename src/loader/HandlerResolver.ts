import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { didYouMean } from '../didYouMean';
import { BackgroundJobsError } from '../errors';
import { redactText } from '../jobs/redaction';
import { safely } from '../jobs/safely';
import { parseMethodName } from '../jobs/methodName';

/** A handler: a plain function receiving the job's parameters positionally, sync or async. */
export type HandlerFunction = (...params: unknown[]) => unknown;

/** A method name resolved to the function it runs. */
export interface ResolvedHandler {
  /** One identity per function whatever the case of the name used (`file#export`); the key rule uses it. */
  readonly identity: string;
  readonly run: HandlerFunction;
}

type ModuleExports = Record<string, unknown>;

interface LoadedModule {
  readonly file: string;
  readonly exports: ModuleExports;
}

const SCRIPT_EXTENSIONS = ['.js', '.cjs', '.mjs'];

/** How many names {@link HandlerResolver} remembers exactly as given. */
const MAX_NAMES = 1024;

/**
 * Resolves `Module.Method` like 1C, case-insensitively, to an own exported function of a module file directly
 * inside the handlers folder. Loaded modules are cached; a failed lookup or load is retried next time, so a
 * file added or fixed later is picked up.
 */
export class HandlerResolver {
  readonly #folder: string;
  readonly #modules = new Map<string, Promise<LoadedModule>>();
  /** Resolved handlers by lower-cased `module.method`: bounded by the functions the folder exports. */
  readonly #handlers = new Map<string, ResolvedHandler>();
  /**
   * The same handlers by the name exactly as given, so that a name used again is not parsed again. Cleared when
   * full: the case of a name can vary without end.
   */
  readonly #byName = new Map<string, ResolvedHandler>();

  constructor(folder: string) {
    this.#folder = folder;
  }

  /**
   * The handler `methodName` was resolved to before, without waiting; `undefined` when it has not been yet.
   * @throws BackgroundJobsError `WBJ_BAD_METHOD_NAME`, as {@link HandlerResolver.resolve} rejects.
   */
  known(methodName: unknown): ResolvedHandler | undefined {
    if (typeof methodName === 'string') {
      const named = this.#byName.get(methodName);
      if (named !== undefined) return named;
    }
    const { module, method } = parseMethodName(methodName);
    const handler = this.#handlers.get(`${module.toLowerCase()}.${method.toLowerCase()}`);
    if (handler !== undefined) {
      if (this.#byName.size >= MAX_NAMES) this.#byName.clear();
      this.#byName.set(methodName as string, handler);
    }
    return handler;
  }

  async resolve(methodName: unknown): Promise<ResolvedHandler> {
    const known = this.known(methodName);
    if (known !== undefined) return known;
    const { module, method } = parseMethodName(methodName);
    const moduleKey = module.toLowerCase();
    const handlerKey = `${moduleKey}.${method.toLowerCase()}`;
    let loading = this.#modules.get(moduleKey);
    if (loading === undefined) {
      loading = this.#load(module);
      this.#modules.set(moduleKey, loading);
      loading.catch(() => this.#modules.delete(moduleKey));
    }
    const loaded = await loading;
    const exportName = findExport(loaded, method, methodName as string);
    const handler = {
      identity: `${loaded.file}#${exportName}`,
      run: loaded.exports[exportName] as HandlerFunction,
    };
    this.#handlers.set(handlerKey, handler);
    return handler;
  }

  async #load(module: string): Promise<LoadedModule> {
    const folder = await realFolder(this.#folder);
    const file = await findModuleFile(folder, module);
    try {
      return { file, exports: await importModule(file) };
    } catch (error) {
      // The message may reach a client (the demo answers it): its paths are shown as in errorInfo; the cause keeps them.
      const reason = redactText(
        safely(() => String(error), 'an unprintable value'),
        this.#folder,
      );
      throw new BackgroundJobsError(
        'WBJ_HANDLER_LOAD_FAILED',
        `The handler module ${path.basename(file)} threw while loading: ${reason}`,
        { cause: error },
      );
    }
  }
}

// The messages below reach clients that asked for a method (the demo answers them): they name no folder path and
// list no exports, only what the caller asked for and close matches; the cause and manager.settings keep the path.

async function realFolder(folder: string): Promise<string> {
  try {
    return await realpath(folder);
  } catch (error) {
    throw new BackgroundJobsError(
      'WBJ_HANDLER_NOT_FOUND',
      'The handlers folder does not exist (manager.settings.handlersPath names it); create it or set jobsHandlersPath (or the handlers option)',
      { cause: error },
    );
  }
}

/** The one module file whose name matches case-insensitively; it must really lie inside the folder. */
async function findModuleFile(folder: string, module: string): Promise<string> {
  const extensions = typeScriptLoaded() ? [...SCRIPT_EXTENSIONS, '.ts'] : SCRIPT_EXTENSIONS;
  const wanted = module.toLowerCase();
  const entries = await readdir(folder);
  const modules = entries
    .filter((entry) => extensions.includes(path.extname(entry)))
    .map((entry) => ({ entry, name: path.basename(entry, path.extname(entry)) }));
  const matches = modules.filter(({ name }) => name.toLowerCase() === wanted).map(({ entry }) => entry);
  if (matches.length === 0) {
    const expected = extensions.map((extension) => module + extension).join(' or ');
    const names = modules.map(({ name }) => name);
    const hint = didYouMean(module, names);
    const typeScript = extensions.includes('.ts') ? undefined : typeScriptFile(entries, wanted);
    throw new BackgroundJobsError(
      'WBJ_HANDLER_NOT_FOUND',
      `No handler module "${module}" in the handlers folder; expected a file ${expected}${hint && `; ${hint}`}` +
        (typeScript === undefined
          ? ''
          : `. ${typeScript} is there, but this process has no TypeScript loader to run it: start Node with one ` +
            '(node --import tsx your-app.js) or build the handler to .js'),
    );
  }
  if (matches.length > 1) {
    throw new BackgroundJobsError(
      'WBJ_HANDLER_AMBIGUOUS',
      `Handler module "${module}" is ambiguous: ${matches.join(', ')} all match; keep one of them`,
    );
  }
  const file = await realpath(path.join(folder, matches[0]));
  // A symlink may point anywhere: only what really lies inside the folder may run.
  if (path.dirname(file) !== folder || !(await stat(file)).isFile()) {
    throw new BackgroundJobsError(
      'WBJ_BAD_METHOD_NAME',
      `Handler module "${module}" (${matches[0]}) resolves outside the handlers folder; only files inside it may run`,
    );
  }
  return file;
}

/** A `.ts` file of the module's name, which would have run under a TypeScript loader; `undefined` if none. */
function typeScriptFile(entries: readonly string[], wanted: string): string | undefined {
  return entries.find(
    (entry) => path.extname(entry) === '.ts' && path.basename(entry, '.ts').toLowerCase() === wanted,
  );
}

/** The one own exported function whose name matches case-insensitively. */
function findExport(loaded: LoadedModule, method: string, methodName: string): string {
  const wanted = method.toLowerCase();
  const names = Object.getOwnPropertyNames(loaded.exports);
  const matches = names.filter((name) => name.toLowerCase() === wanted);
  const moduleFile = path.basename(loaded.file);
  if (matches.length > 1) {
    throw new BackgroundJobsError(
      'WBJ_HANDLER_AMBIGUOUS',
      `"${methodName}" is ambiguous: ${moduleFile} exports ${matches.join(' and ')}; rename one of them`,
    );
  }
  if (matches.length === 0) {
    const functions = names.filter((name) => typeof loaded.exports[name] === 'function');
    const hint = didYouMean(method, functions);
    const count = functions.length === 1 ? '1 function' : `${functions.length || 'no'} functions`;
    throw new BackgroundJobsError(
      'WBJ_HANDLER_NOT_FOUND',
      `${moduleFile} exports no function "${method}"; ${hint ? `${hint} It` : 'it'} exports ${count}` +
        unreadExportHint(loaded.exports, method),
    );
  }
  const value = loaded.exports[matches[0]];
  if (typeof value !== 'function') {
    throw new BackgroundJobsError(
      'WBJ_HANDLER_NOT_FOUND',
      `"${methodName}" is not a function: ${moduleFile} exports ${matches[0]} as ${typeof value}`,
    );
  }
  return matches[0];
}

/**
 * Why a module whose method is not found may still hold it: in a default export (`export default { Run }`), or as
 * `module.exports = function Run…`, neither of which is read. Job methods are the module's named exports.
 */
function unreadExportHint(exports: ModuleExports, method: string): string {
  const fix = `: export each job method by name (export function ${method}, or exports.${method} = … in CommonJS)`;
  if (typeof exports === 'function') return `. module.exports is itself a function, which is not read${fix}`;
  if (exports.default !== undefined && exports.default !== null)
    return `. Its default export is not read${fix}`;
  return '';
}

/** `.mjs` and ES-module `.js` files load with import(); everything else with require(), as Node itself would. */
async function importModule(file: string): Promise<ModuleExports> {
  if (file.endsWith('.mjs')) return import(pathToFileURL(file).href);
  try {
    // Object(): `module.exports = null` or a number simply exports no functions.
    return Object(require(file));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE')
      return import(pathToFileURL(file).href);
    throw error;
  }
}

/** `.ts` handlers are considered only where the application registered a TypeScript loader (ts-node, tsx…). */
function typeScriptLoaded(): boolean {
  return typeof require.extensions?.['.ts'] === 'function';
}
