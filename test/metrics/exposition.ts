// A parser of Prometheus' text exposition format (version 0.0.4), as documented at
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details: prom-client only writes it, so the
// tests read a scrape with the documented grammar, strictly (any line it does not allow fails the test).

/** One sample line: `name{label="value",…} value [timestamp]`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its `# TYPE`, its `# HELP` and its samples (a histogram's `_bucket`, `_sum`, `_count` included). */
export interface Family {
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** The suffixes a family's samples may add to its name. */
const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** The families of a scrape by name; throws on a line the grammar does not allow, naming it. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (found === undefined) families.set(name, (found = { type: 'untyped', help: '', samples: [] }));
    return found;
  };
  if (text !== '' && !text.endsWith('\n')) throw new Error('The exposition does not end with a line feed');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^#\s*(HELP|TYPE)\s+(\S+)\s?(.*)$/.exec(line);
    if (comment !== null) {
      const [, keyword, name, rest] = comment;
      if (!NAME.test(name) || NAME.exec(name)![0] !== name) throw new Error(`Bad metric name in: ${line}`);
      if (keyword === 'HELP') {
        (family(name) as { help: string }).help = rest.replace(/\\(\\|n)/g, (_, c: string) =>
          c === 'n' ? '\n' : '\\',
        );
      } else {
        if (!TYPES.has(rest)) throw new Error(`Bad metric type in: ${line}`);
        if (family(name).samples.length > 0) throw new Error(`TYPE after the samples of ${name}`);
        (family(name) as { type: string }).type = rest;
      }
      continue;
    }
    if (line.startsWith('#')) continue; // any other comment
    const sample = parseSample(line);
    family(familyName(sample.name, families)).samples.push(sample);
  }
  return families;
}

/** The family a sample belongs to: its own name, or a histogram's or summary's name before a suffix. */
function familyName(sampleName: string, families: Map<string, Family>): string {
  for (const [name, { type }] of families) {
    if ((SUFFIXES[type] ?? ['']).some((suffix) => name + suffix === sampleName)) return name;
  }
  return sampleName;
}

function parseSample(line: string): Sample {
  const fail = (why: string): never => {
    throw new Error(`Bad sample line (${why}): ${line}`);
  };
  let rest = line;
  const name = NAME.exec(rest)?.[0] ?? fail('no metric name');
  rest = rest.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = LABEL_NAME.exec(rest)?.[0] ?? fail('no label name');
      rest = rest.slice(label.length);
      if (!rest.startsWith('="')) fail(`no ="… after ${label}`);
      rest = rest.slice(2);
      let value = '';
      for (;;) {
        const char = rest[0] ?? fail('label value not closed');
        rest = rest.slice(1);
        if (char === '"') break;
        if (char !== '\\') value += char;
        else {
          const escaped = rest[0];
          rest = rest.slice(1);
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else fail(`bad escape \\${escaped}`);
        }
      }
      if (label in labels) fail(`label ${label} twice`);
      labels[label] = value;
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) fail('no , or } after a label');
    }
    rest = rest.slice(1);
  }
  const parts = rest.trim().split(/\s+/);
  if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2) fail('no value');
  const value = parseFloatValue(parts[0]) ?? fail(`bad value ${parts[0]}`);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail('bad timestamp');
  return { name, labels, value };
}

function parseFloatValue(text: string): number | undefined {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

/** The value of the one sample named `name` whose labels are exactly `labels`; `undefined` when there is none. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const matches = [...families.values()]
    .flatMap((family) => family.samples)
    .filter(
      (sample) => sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted,
    );
  if (matches.length > 1) throw new Error(`${matches.length} samples ${name} ${wanted}`);
  return matches[0]?.value;
}
