import { ALIASES } from '../src/compat/aliases';

/** How docs/1c-names.md names each group of the alias table (its rows follow the table's order). */
const GROUPS: Partial<Record<keyof typeof ALIASES, string>> = {
  exports: 'export',
  manager: 'manager',
  job: 'job',
  state: 'state',
  scheduledJobs: 'scheduled jobs',
  scheduledJob: 'scheduled job',
  schedule: 'schedule',
  errorInfo: 'errorInfo',
  userMessage: 'user message',
};

/** The table of 1C names of docs/1c-names.md, made from the alias table. */
export function nameTable(): string {
  const groups = Object.keys(ALIASES) as (keyof typeof ALIASES)[];
  const rows = groups.flatMap((group) =>
    Object.entries(ALIASES[group] as Record<string, readonly string[]>).map(([member, names]) => {
      const russian = names.filter((name) => /[А-Яа-яЁё]/.test(name));
      const english = names.filter((name) => !russian.includes(name));
      return [GROUPS[group] ?? group, `\`${member}\``, codes(russian), codes(english)];
    }),
  );
  return markdownTable(['where', 'English', '1C (Russian)', '1C (English)'], rows);
}

/**
 * A Markdown table laid out as Prettier lays one out (every cell padded to its column's width), so
 * `prettier --check` passes on the sections of docs/ the tests write.
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function codes(names: readonly string[]): string {
  return names.map((name) => `\`${name}\``).join(', ');
}
