import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers';
import { anchorsOf, brokenLinks, linksOf, markdownPages, repositoryOf, slug } from './markdownLinks';

describe('GitHub anchors', () => {
  test.each([
    ['Install', 'install'],
    [
      '### `BackgroundJobsManager` (1C: МенеджерФоновыхЗаданий)',
      'backgroundjobsmanager-1c-менеджерфоновыхзаданий',
    ],
    ['What `toJSON()` and the dashboard send', 'what-tojson-and-the-dashboard-send'],
    ['Beyond one process: Redis through BullMQ', 'beyond-one-process-redis-through-bullmq'],
    ['Limits, stated honestly', 'limits-stated-honestly'],
    ['a_b - c', 'a_b---c'],
  ])('the heading %s is reached as #%s', (heading, anchor) => {
    expect([...anchorsOf(`# ${heading.replace(/^#+ /, '')}\n`)]).toEqual([anchor]);
    expect(slug(heading.replace(/^#+ |`/g, ''))).toBe(anchor);
  });

  test('a repeated heading is numbered -1, -2, and headings inside code blocks make none', () => {
    const page = '# Notes\n\n## Notes\n\n```sh\n# Notes\n```\n\n### Notes\n';
    expect([...anchorsOf(page)]).toEqual(['notes', 'notes-1', 'notes-2']);
  });

  test('links inside code spans and fences are not links', () => {
    const page = 'See [a](a.md#x) and `[b](b.md)`.\n\n```md\n[c](c.md)\n```\n\n[d]: d.md\n';
    expect(linksOf(page)).toEqual([
      { target: 'a.md#x', line: 1 },
      { target: 'd.md', line: 7 },
    ]);
  });
});

describe('the links of the Markdown pages resolve', () => {
  const repository = repositoryOf(ROOT);

  test('every relative link, anchor and absolute link into this repository in README.md and docs/ resolves', () => {
    const pages = markdownPages(ROOT);
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/ARCHITECTURE.md']));
    expect(brokenLinks(ROOT, pages, repository)).toEqual([]);
  });

  test('package.json names one repository: its bugs and homepage, the README install line and the reference source links use it', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      bugs: { url: string };
      homepage: string;
    };
    expect(pkg.bugs.url).toBe(`https://github.com/${repository}/issues`);
    expect(pkg.homepage).toBe(`https://github.com/${repository}#readme`);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`npm install github:${repository}`);
    expect(readme).not.toContain('<owner>');
    const typedoc = JSON.parse(readFileSync(path.join(ROOT, 'config', 'typedoc.json'), 'utf8')) as {
      sourceLinkTemplate: string;
    };
    expect(typedoc.sourceLinkTemplate).toMatch(new RegExp(`^https://github\\.com/${repository}/blob/`));
  });

  test('the README shows its images by absolute URL into the repository, so that the npm page shows them too', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map(([, target]) => target);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images)
      expect(image).toMatch(new RegExp(`^https://raw\\.githubusercontent\\.com/${repository}/main/`));
  });

  test('a planted broken link, same-page anchor, cross-page anchor and repository URL are each reported', () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'wbj-links-'));
    try {
      const skipped = new Set(['.git', 'node_modules', 'dist', 'reference'].map((name) => `/${name}`));
      cpSync(ROOT, copy, {
        recursive: true,
        filter: (source) => ![...skipped].some((name) => source.endsWith(name)),
      });
      const planted = [
        '[gone](docs/no-such-page.md)',
        '[here](#no-such-heading)',
        '[there](docs/api.md#no-such-heading)',
        `![picture](https://raw.githubusercontent.com/${repository}/main/docs/no-such.png)`,
      ];
      const before = brokenLinks(copy, markdownPages(copy), repository);
      const readme = readFileSync(path.join(copy, 'README.md'), 'utf8');
      writeFileSync(path.join(copy, 'README.md'), `${readme}\n${planted.join('\n\n')}\n`);
      const problems = brokenLinks(copy, markdownPages(copy), repository).filter(
        (problem) => !before.includes(problem),
      );
      expect(problems).toHaveLength(planted.length);
      expect(problems.join('\n')).toMatch(/no file docs\/no-such-page\.md/);
      expect(problems.join('\n')).toMatch(/no heading of README\.md makes #no-such-heading/);
      expect(problems.join('\n')).toMatch(/no heading of docs\/api\.md makes #no-such-heading/);
      expect(problems.join('\n')).toMatch(/no file docs\/no-such\.png/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
