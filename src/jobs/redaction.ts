import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { safely } from './safely';

/** What stands for a file outside the handlers folder, and for Node's own (`node:internal/…`). */
export const OUTSIDE_HANDLERS = '<outside the handlers folder>';

/**
 * `text` with each path it holds — a stack frame's file (`eval` origins, `file://` URLs and Windows paths too), a
 * path quoted in a message — shown relative to the handlers folder when it lies inside it, and as
 * {@link OUTSIDE_HANDLERS} otherwise. It never throws.
 */
export function redactText(text: string, handlersPath: string): string {
  return redactLines(text, foldersOf(handlersPath));
}

/** A module name as a client may see it: a handler file's relative name stays, any other file is hidden. */
export function redactModuleName(moduleName: string, handlersPath: string): string {
  const folders = foldersOf(handlersPath);
  const kind = pathKind(moduleName, 0, true);
  return kind === undefined ? moduleName : shown({ file: moduleName, position: '', kind }, folders);
}

/** `file` relative to the handlers folder (as configured or as the file system resolves it) when inside it. */
export function handlerRelative(handlersPath: string, file: string): string | undefined {
  return insideHandlers(file, foldersOf(handlersPath));
}

/**
 * The file and line of a stack frame line (`at fn (file:12:5)`, `at file:12:5`, and for code run by `eval` or
 * `new Function`, the place that ran it); `undefined` for other lines and for frames with no file (`native`,
 * `<anonymous>`, Node's own `node:` modules). A `file://` URL is returned as a path.
 */
export function frameLocation(line: string): { file: string; lineNumber: number } | undefined {
  if (!isFrame(line)) return undefined;
  for (const found of pathsIn(line, [])) {
    const file = absoluteFile(found);
    if (file !== undefined && found.position !== '') {
      return { file, lineNumber: Number(found.position.split(':')[1]) };
    }
  }
  return undefined;
}

interface Folders {
  /** The handlers folder, as configured and as the file system resolves it. */
  readonly handlers: readonly string[];
  /** What a path climbing from the working folder (`../../srv/app`) is relative to. */
  readonly cwd: string;
  /**
   * Folders a path is likely to start with — those and their parents, the working folder, home, the temporary
   * folder — as paths and as file URLs, longest first: where one starts a path, its name is taken whole, spaces
   * and parentheses included, before the end of the path is looked for.
   */
  readonly known: readonly string[];
}

let cached: { key: string; folders: Folders } | undefined;

function foldersOf(handlersPath: string): Folders {
  const cwd = safely(() => process.cwd(), '');
  const key = `${handlersPath}\0${cwd}`;
  if (cached?.key === key) return cached.folders;
  const handlers = unique([handlersPath, safely(() => realpathSync(handlersPath), handlersPath)]);
  const roots = [...handlers, cwd, safely(() => os.homedir(), ''), safely(() => os.tmpdir(), '')].filter(
    (folder) => path.isAbsolute(folder),
  );
  const known = unique(
    unique([...roots, ...roots.map((folder) => safely(() => realpathSync(folder), folder))])
      .flatMap(withParents)
      .flatMap((folder) => [folder, safely(() => pathToFileURL(folder).href, folder)]),
  ).sort((a, b) => b.length - a.length);
  cached = { key, folders: { handlers, cwd, known } };
  return cached.folders;
}

/** The folder and each folder above it, short of the file system's root (a root would make every path known). */
function withParents(folder: string): string[] {
  const folders: string[] = [];
  for (let current = folder; path.dirname(current) !== current; current = path.dirname(current)) {
    folders.push(current);
  }
  return folders;
}

function redactLines(text: string, folders: Folders): string {
  return text
    .split('\n')
    .map((line) => {
      let shownLine = '';
      let done = 0;
      for (const found of pathsIn(line, folders.known)) {
        shownLine += line.slice(done, found.start) + shown(found, folders);
        done = found.end;
      }
      return shownLine + line.slice(done);
    })
    .join('\n');
}

/** A path found in a line: `[start, end)` covers it and its `:line:column`. */
interface FoundPath {
  readonly start: number;
  readonly end: number;
  readonly kind: PathKind;
  /** The path as written (a file URL as a URL). */
  readonly file: string;
  /** `:12:5`, `:12` or `''`. */
  readonly position: string;
}

/** The replacement of a path: relative to the handlers folder, with its position, or the marker. */
function shown(found: Omit<FoundPath, 'start' | 'end'>, folders: Folders): string {
  const file = absoluteFile(found, folders.cwd);
  const relative = file === undefined ? undefined : insideHandlers(file, folders);
  return relative === undefined ? OUTSIDE_HANDLERS : `${relative}${found.position}`;
}

function insideHandlers(file: string, folders: Folders): string | undefined {
  if (!path.isAbsolute(file)) return undefined;
  for (const folder of folders.handlers) {
    const relative = path.relative(folder, file);
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) return relative || '.';
  }
  return undefined;
}

/** The file a path names, when it names one; a climbing path only where the working folder is known. */
function absoluteFile(found: Pick<FoundPath, 'kind' | 'file'>, cwd = ''): string | undefined {
  switch (found.kind) {
    case 'path':
      return found.file;
    case 'url':
      return safely<string | undefined>(() => fileURLToPath(found.file), undefined);
    case 'climbing':
      return cwd === '' ? undefined : path.resolve(cwd, found.file);
    case 'node':
      return undefined;
  }
}

/**
 * What starts a path: `/…`, `C:\…`, `C:/…`, `\\server\…`, `file://…`, in a stack frame `node:…`, and a relative
 * path that climbs (`../../tmp/app/x.js`, as Jest and path.relative write them), which names the folders above.
 */
type PathKind = 'path' | 'url' | 'node' | 'climbing';

const QUOTES = `'"\``;
/** After these (or white space, or at the start of a line) a path may begin; inside a word it does not (`a/b`). */
const BEFORE_PATH = `([{<=,;:@|>${QUOTES}`;
/** Left off the end of a path found in prose, where they close the sentence or the brackets around it. */
const AFTER_PATH = `)]}>.,;:!?${QUOTES}`;

function isFrame(line: string): boolean {
  return line.trimStart().startsWith('at ');
}

/**
 * The paths of one line. A path ends at its closing quote when quoted; in a stack frame, at its `:line:column`
 * (so a folder with spaces or parentheses stays whole, and `eval at fn (file:1:2), <anonymous>:3:4` yields the
 * file); elsewhere at white space, except where it starts with a {@link Folders.known} folder, taken whole.
 */
function pathsIn(line: string, known: readonly string[]): FoundPath[] {
  const frame = isFrame(line);
  const found: FoundPath[] = [];
  for (let index = 0; index < line.length; index += 1) {
    const before = line[index - 1];
    if (before !== undefined && !isSpace(before) && !BEFORE_PATH.includes(before)) continue;
    const kind = pathKind(line, index, frame);
    if (kind === undefined) continue;
    const at = pathAt(line, index, kind, frame, known);
    if (at === undefined) continue;
    found.push(at);
    index = at.end - 1;
  }
  return found;
}

function pathKind(line: string, index: number, frame: boolean): PathKind | undefined {
  const char = line[index];
  const next = line[index + 1];
  if (line.startsWith('file://', index)) return 'url';
  if (char === '/' && isNameChar(next)) return 'path';
  if (char === '\\' && next === '\\' && isNameChar(line[index + 2])) return 'path';
  if (isLetter(char) && next === ':' && isSeparator(line[index + 2])) return 'path';
  if (char === '.' && next === '.' && isSeparator(line[index + 2])) return 'climbing';
  if (frame && line.startsWith('node:', index)) return 'node';
  return undefined;
}

function pathAt(
  line: string,
  start: number,
  kind: PathKind,
  frame: boolean,
  known: readonly string[],
): FoundPath | undefined {
  const folder = known.find(
    (candidate) => line.startsWith(candidate, start) && endsFolder(line[start + candidate.length]),
  );
  const from = start + (folder?.length ?? 0);
  const quote = QUOTES.includes(line[start - 1] ?? '') ? line[start - 1] : undefined;
  const closing = quote === undefined ? -1 : line.indexOf(quote, from);
  if (closing !== -1) return split(line, start, closing, kind);
  const position = frame ? positionAhead(line, from) : undefined;
  if (position !== undefined) {
    const file = line.slice(start, position.start);
    return { start, end: position.end, kind, file, position: line.slice(position.start, position.end) };
  }
  if (kind === 'node') return undefined; // `node:` outside a frame's location is a word, not a file
  let end = from;
  while (end < line.length && !isSpace(line[end])) end += 1;
  while (end > from && AFTER_PATH.includes(line[end - 1])) end -= 1;
  return split(line, start, end, kind);
}

/** `[start, end)` as a path, with a `:line` or `:line:column` at its end taken apart. */
function split(line: string, start: number, end: number, kind: PathKind): FoundPath {
  let cut = end;
  for (let colons = 0; colons < 2; colons += 1) {
    let digits = cut;
    while (digits > start && isDigit(line[digits - 1])) digits -= 1;
    if (digits === cut || line[digits - 1] !== ':') break;
    cut = digits - 1;
  }
  return { start, end, kind, file: line.slice(start, cut), position: line.slice(cut, end) };
}

/** The first `:line` or `:line:column` from `from` on that ends the path: followed by `)`, `,`, white space or the end. */
function positionAhead(line: string, from: number): { start: number; end: number } | undefined {
  for (let colon = line.indexOf(':', from); colon !== -1; colon = line.indexOf(':', colon + 1)) {
    let end = digitsFrom(line, colon + 1);
    if (end === colon + 1) continue;
    if (line[end] === ':' && digitsFrom(line, end + 1) > end + 1) end = digitsFrom(line, end + 1);
    const next = line[end];
    if (next === undefined || next === ')' || next === ',' || isSpace(next)) return { start: colon, end };
  }
  return undefined;
}

function digitsFrom(line: string, index: number): number {
  let end = index;
  while (isDigit(line[end])) end += 1;
  return end;
}

function endsFolder(next: string | undefined): boolean {
  return next === undefined || isSeparator(next) || isSpace(next) || AFTER_PATH.includes(next);
}

function isSeparator(char: string | undefined): boolean {
  return char === '/' || char === '\\';
}

function isSpace(char: string): boolean {
  return char.charCodeAt(0) <= 0x20;
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

function isLetter(char: string | undefined): boolean {
  return char !== undefined && ((char >= 'a' && char <= 'z') || (char >= 'A' && char <= 'Z'));
}

/** A character a file or folder name starts with (not `/`, `\`, a bracket, white space: a regex, `//`, `/ `). */
function isNameChar(char: string | undefined): boolean {
  return (
    char !== undefined && (isLetter(char) || isDigit(char) || '._~@$%+-'.includes(char) || char >= '\u0080')
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
