import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * GitHub's anchor for a heading's text (github-slugger's rules): lower case, every character dropped but letters
 * and digits of any script (Cyrillic kept), marks, `-`, `_` and spaces, then each space turned into `-`.
 */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The Markdown lines outside fenced code blocks, with their text; fenced lines come back as ''. */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    return line;
  });
}

/** A heading's text as GitHub renders it before it makes the anchor: no link targets, emphasis or tags. */
function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`([^`]*)`/g, (_, code: string) => code.replace(/[*_]/g, (c) => `\u0000${c}`))
    .replace(/(\*\*|__|\*|\b_|_\b)/g, '')
    .replace(/\u0000/g, '')
    .trim();
}

/** Every anchor a Markdown page offers: its headings' slugs (duplicates numbered -1, -2…) and `<a id|name>`. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading !== null) {
      const base = slug(headingText(heading[1]));
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const [, id] of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id);
  }
  return anchors;
}

/** A link found in a page: its target as written and the line it is on (1-based). */
export interface Link {
  readonly target: string;
  readonly line: number;
}

/** The targets of the page's inline links and images and of its reference definitions, outside code. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  proseLines(markdown).forEach((text, index) => {
    const prose = text.replace(/(`+)[\s\S]*?\1/g, '');
    for (const [, target] of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ target, line: index + 1 });
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    if (definition !== null) links.push({ target: definition[1], line: index + 1 });
  });
  return links;
}

/** The repository the package names (`owner/name`), from package.json's `repository.url`. */
export function repositoryOf(root: string): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    repository?: { url?: string };
  };
  const match = /github\.com\/([\w.-]+\/[\w.-]+?)(?:\.git)?$/.exec(pkg.repository?.url ?? '');
  if (match === null) throw new Error(`package.json has no GitHub repository.url: ${pkg.repository?.url}`);
  return match[1];
}

/** The Markdown pages the check covers: README.md, README.ru.md and docs/**\/*.md, as paths from the root. */
export function markdownPages(root: string): string[] {
  const pages = ['README.md', 'README.ru.md', 'SECURITY.md'].filter((page) =>
    existsSync(path.join(root, page)),
  );
  const walk = (folder: string): void => {
    for (const entry of readdirSync(path.join(root, folder), { withFileTypes: true })) {
      const relative = path.posix.join(folder, entry.name);
      if (entry.isDirectory() && relative !== 'docs/reference') walk(relative);
      else if (entry.isFile() && entry.name.endsWith('.md')) pages.push(relative);
    }
  };
  walk('docs');
  return pages;
}

/** The paths among `paths` (from the root) that git ignores: they exist here but not in the repository. */
function ignoredByGit(root: string, paths: readonly string[]): Set<string> {
  if (paths.length === 0) return new Set();
  try {
    const out = execFileSync('git', ['check-ignore', '--no-index', '--stdin'], {
      cwd: root,
      input: paths.join('\n'),
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return new Set(out.split('\n').filter(Boolean));
  } catch (error) {
    // git check-ignore exits 1 when no path is ignored, 128 outside a repository (a copy): existence alone decides.
    const status = (error as { status?: number }).status;
    if (status === 1 || status === 128) return new Set();
    throw error;
  }
}

/**
 * Every link of `pages` (paths from `root`) that does not resolve, as `page:line: target (why)`: a relative path
 * to no file of the tree (or to one git ignores), an anchor that no heading of its page makes, or an absolute
 * URL of this repository (`https://raw.githubusercontent.com/<repo>/main/…`, `https://github.com/<repo>/blob/main/…`)
 * to a path the tree lacks. Other URLs are not fetched.
 */
export function brokenLinks(root: string, pages: readonly string[], repository: string): string[] {
  const text = new Map<string, string>();
  const read = (page: string): string | undefined => {
    if (!text.has(page)) {
      const file = path.join(root, page);
      text.set(page, existsSync(file) ? readFileSync(file, 'utf8') : '');
    }
    return text.get(page);
  };
  const repoUrl = new RegExp(
    `^https://(?:raw\\.githubusercontent\\.com/${repository}/main/|github\\.com/${repository}/(?:blob|tree|raw)/main/)(.*)$`,
    'i',
  );
  const checks: { where: string; target: string; file: string; anchor: string | undefined }[] = [];
  const problems: string[] = [];
  for (const page of pages) {
    for (const { target, line } of linksOf(read(page) ?? '')) {
      const where = `${page}:${line}: ${target}`;
      const [address, fragment] = target.split('#', 2) as [string, string | undefined];
      const anchor = fragment === undefined ? undefined : decodeURIComponent(fragment);
      const ours = repoUrl.exec(address);
      if (ours !== null) checks.push({ where, target, file: path.posix.normalize(ours[1]), anchor });
      else if (/^[a-z][a-z0-9+.-]*:/i.test(address)) continue;
      else if (address === '') checks.push({ where, target, file: page, anchor });
      else {
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(address)));
        if (file.startsWith('..')) problems.push(`${where} (outside the repository)`);
        else checks.push({ where, target, file: file.replace(/\/$/, ''), anchor });
      }
    }
  }
  const ignored = ignoredByGit(
    root,
    checks.map((check) => check.file),
  );
  for (const { where, file, anchor } of checks) {
    if (!existsSync(path.join(root, file))) problems.push(`${where} (no file ${file})`);
    else if (ignored.has(file)) problems.push(`${where} (${file} is ignored by git)`);
    else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(read(file) ?? '').has(anchor))
      problems.push(`${where} (no heading of ${file} makes #${anchor})`);
  }
  return problems;
}
