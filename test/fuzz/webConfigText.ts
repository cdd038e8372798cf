import fc from 'fast-check';
import { SETTING_NAMES, specOf } from '../../src/config/settingsTable';

// The web.config texts the fuzz suite loads: documents of <appSettings> and <scheduledJobs> items (keys, values
// at and past their limits, ranges, cron, params, entities, comments, sizes), near misses made from them by edits,
// and their bytes in several encodings, with invalid bytes.

/** Every web.config key of the settings table: a setting declared there is fuzzed from then on, with no list to update. */
export const KEYS = SETTING_NAMES.flatMap((name) => specOf(name).key ?? []);

const SCHEDULE_ATTRIBUTES = [
  'name',
  'method',
  'key',
  'description',
  'use',
  'params',
  'cron',
  'timezone',
  'repeatPeriodSeconds',
  'beginTime',
  'endTime',
  'weekDays',
  'months',
  'daysOfMonth',
] as const;

/** `arbitrary` once in `every` values, else `otherwise`. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, otherwise: T, every: number): fc.Arbitrary<T> {
  return fc.oneof({ weight: every - 1, arbitrary: fc.constant(otherwise) }, { weight: 1, arbitrary });
}

/** One of `valid` four times in five, else anything `other` gives. */
function mostlyValid(valid: string[], other: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...valid) }, other);
}

/** Numbers at and past every limit a setting has (timers, threads, memory, safe integers, doubles). */
const LIMITS = [
  0,
  1,
  7,
  12,
  31,
  32,
  59,
  60,
  1023,
  1024,
  1025,
  86_399,
  86_400,
  86_401,
  2_147_483,
  2_147_484,
  2_147_483_647,
  2_147_483_648,
  4_294_967_296,
  1_048_576,
  1_048_577,
  300_000_000,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
];

/** Any text, weighted towards what breaks parsers: markup characters, entities, controls, astral characters. */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '<',
    '>',
    '&',
    '"',
    "'",
    '&amp;',
    '&#0;',
    '&#x1F600;',
    '&bogus;',
    ']]>',
    '\0',
    '\uFFFE',
    '\uD800',
  ),
);

const numberText = fc.oneof(
  fc.constantFrom(...LIMITS).map(String),
  fc.constantFrom(...LIMITS).map((limit) => String(-limit)),
  fc.constantFrom(
    ' 5 ',
    '5.',
    '.5',
    '1.5',
    '1e3',
    '0x10',
    '+5',
    '-0',
    '00012',
    '１２',
    '٣',
    'NaN',
    'Infinity',
    '',
  ),
  fc.stringMatching(/^\d{15,400}$/),
  fc.stringMatching(/^\d{1,4}\.\d{1,400}$/),
);

const settingValue = fc.oneof(
  { weight: 4, arbitrary: numberText },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'attachAssembly',
      ' ATTACHASSEMBLY ',
      'thread',
      'Inline',
      'fibre',
      'memory',
      'MEMORY',
      // A Redis URL without a host: a store URL is checked, but no connection to anything is ever attempted.
      'redis://',
      'rediss://:6379',
      'http://localhost',
      'true',
      'FALSE',
      'yes',
      'web-background-jobs',
      'queue:with:colons',
      'q'.repeat(101),
      'handlers',
      '../../..',
      '\0',
    ),
  },
  { weight: 2, arbitrary: text },
);

const key = fc.oneof(
  { weight: 5, arbitrary: fc.mixedCase(fc.constantFrom(...KEYS)) },
  { weight: 1, arbitrary: fc.constantFrom('jobsUnknown', 'jobsCheckIntervall', 'ApplicationKey', '') },
  { weight: 1, arbitrary: text },
);

/** A number list or range of a 1C schedule (`weekDays="1-5"`), with bounds far past any month or week. */
const bound = fc.oneof(
  fc.constantFrom(...LIMITS).map(String),
  fc.nat(40).map(String),
  fc.stringMatching(/^\d{10,30}$/),
);
const numberList = fc.oneof(
  fc
    .array(
      fc.oneof(
        bound,
        fc.tuple(bound, bound).map(([from, to]) => `${from}-${to}`),
        fc.constantFrom('-1', '1--5', ' 3 ', '', 'Mon'),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((parts) => parts.join(',')),
  fc.constantFrom('1-300000000', '1-1000000000000000000000000000000', '0-4294967296', '1-5,6-7', '7-1'),
);

const cronField = fc.oneof(
  fc.constantFrom(
    '*',
    '*/5',
    '*/0',
    '*/1000000000',
    '1-300000000',
    '60',
    '0',
    'L',
    '5#3',
    'MON-FRI',
    '?',
    'W',
  ),
  bound,
);
const cron = fc.oneof(
  fc.array(cronField, { minLength: 4, maxLength: 7 }).map((fields) => fields.join(' ')),
  fc.constantFrom('* * * * *', '0 30 3 * * *', '@daily', 'every day'),
  text,
);

const jsonParams = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.constantFrom('[1e400]', '[1,', '{"a":1}', 'null', '[-0]'),
  fc.integer({ min: 1, max: 10_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
);

const scheduleValue: Record<(typeof SCHEDULE_ATTRIBUTES)[number], fc.Arbitrary<string>> = {
  key: text,
  description: text,
  name: fc.oneof(fc.constantFrom('Nightly', 'nightly', ' Nightly ', ''), text),
  method: fc.oneof(fc.constantFrom('Reports.Build', 'a.b', '../x.y', 'Reports', 'x.__proto__', ''), text),
  use: fc.constantFrom('true', 'false', 'TRUE', '1', 'yes', ''),
  params: jsonParams,
  cron,
  timezone: fc.oneof(fc.constantFrom('UTC', 'Europe/Moscow', 'Etc/GMT+14', 'Mars/Olympus', ''), text),
  beginTime: fc.oneof(fc.constantFrom('08:00', '23:59:59', '24:00', '25:61', '7:5', '00:00:60'), text),
  endTime: fc.oneof(fc.constantFrom('18:00', '00:00', '99:99:99'), text),
  repeatPeriodSeconds: numberText,
  weekDays: numberList,
  months: numberList,
  daysOfMonth: numberList,
};

/** An attribute value as written: escaped, spelt with character references, or left raw. */
function attribute(
  name: string,
  value: string,
  quote: string,
  style: 'escaped' | 'references' | 'raw',
): string {
  const written =
    style === 'raw'
      ? value
      : style === 'references'
        ? [...value].map((char) => `&#${char.codePointAt(0)};`).join('')
        : value
            .replace(/&/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(quote, quote === '"' ? '&quot;' : '&apos;');
  return `${name}=${quote}${written}${quote}`;
}

const spelling = fc.record({
  quote: fc.constantFrom('"', "'"),
  style: mostlyValid(['escaped'], fc.constantFrom('references', 'raw')) as fc.Arbitrary<
    'escaped' | 'references' | 'raw'
  >,
});

const comment = fc.oneof(
  fc.string({ maxLength: 20 }).map((body) => `<!--${body.replace(/-/g, '')}-->`),
  fc.constantFrom('<!-- <add key="jobsStore" value="bad" /> -->', '<!-- - -->', '<!---->', '<!-- -- -->'),
);

const appSettingsItem = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(key, settingValue, spelling)
      .map(
        ([name, value, { quote, style }]) =>
          `<add ${attribute('key', name, quote, style)} ${attribute('value', value, quote, style)} />`,
      ),
  },
  { weight: 1, arbitrary: key.map((name) => `<remove key="${name.replace(/[<&"]/g, '')}" />`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('<clear />', '<add value="5" />', '<remove />', '<set key="a" />'),
  },
  { weight: 1, arbitrary: comment },
  { weight: 1, arbitrary: fc.constantFrom('text', '<![CDATA[<add key="x" />]]>', '&amp;', '&ent;') },
);

/** The attributes besides name and method, which most declarations get right so that the schedule is reached. */
const OPTIONAL_ATTRIBUTES = SCHEDULE_ATTRIBUTES.filter((name) => name !== 'name' && name !== 'method');

const scheduledJobItem = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.subarray(OPTIONAL_ATTRIBUTES, { minLength: 1, maxLength: 4 }),
        mostlyValid([''], fc.constantFrom('Name', 'every', 'METHOD')),
        spelling,
      )
      .chain(([optional, extra, { quote, style }]) =>
        fc
          .tuple(
            mostlyValid(['Nightly', 'Sync', 'Отчёт'], scheduleValue.name),
            mostlyValid(['Reports.Build', 'Orders.Sync'], scheduleValue.method),
            fc.tuple(...optional.map((name) => scheduleValue[name])),
            text,
          )
          .map(([name, method, values, extraValue]) =>
            [
              '<add',
              attribute('name', name, quote, style),
              attribute('method', method, quote, style),
              ...optional.map((attributeName, index) =>
                attribute(attributeName, values[index], quote, style),
              ),
              ...(extra === '' ? [] : [attribute(extra, extraValue, quote, style)]),
              '/>',
            ].join(' '),
          ),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('<job name="A" />', '<clear />', '<add method="Reports.Build" />'),
  },
  { weight: 1, arbitrary: comment },
);

/** Many keys at once, for the cost of finding each `<add>`'s line (the issue's 20,000 keys took 44–95 s). */
const bulk = fc
  .integer({ min: 200, max: 2000 })
  .map((count) =>
    Array.from({ length: count }, (_, index) => `<add key="app.setting.${index}" value="${index}" />`).join(
      '\n',
    ),
  );

const appSettings = fc
  .tuple(
    fc.boolean(),
    fc.array(appSettingsItem, { maxLength: 12 }),
    rarely(bulk, '', 30),
    fc.constantFrom('appSettings', 'appsettings'),
  )
  .map(
    ([attach, items, many, tag]) =>
      `<${tag}>\n${attach ? '<add key="WebBackgroundJobs" value="attachAssembly" />\n' : ''}${items.join('\n')}\n${many}\n</${tag}>`,
  );

const scheduledJobs = fc
  .array(scheduledJobItem, { maxLength: 4 })
  .map((items) => `<scheduledJobs>\n${items.join('\n')}\n</scheduledJobs>`);

const document = fc
  .tuple(
    fc.constantFrom(
      '<?xml version="1.0" encoding="utf-8"?>\n',
      '<?xml version="1.0" encoding="utf-16"?>\n',
      '<?xml version="1.0"?>\n',
      '',
      '<!DOCTYPE configuration [<!ENTITY big "0123456789">]>\n',
      '\n\n<?xml version="1.0"?>',
    ),
    fc.array(fc.oneof({ weight: 4, arbitrary: appSettings }, scheduledJobs, comment), { maxLength: 4 }),
    mostlyValid(['configuration'], fc.constantFrom('Configuration', 'appSettings')),
  )
  .map(([declaration, sections, root]) => `${declaration}<${root}>\n${sections.join('\n')}\n</${root}>\n`);

/** Edits that turn a document into a near miss: cut, doubled, truncated, or with a stray piece of markup. */
const mutation = fc.oneof(
  fc.record({
    at: fc.nat(),
    insert: fc.oneof(text, fc.constantFrom('<', '/>', '"', '<!--', '-->', '<add ')),
  }),
  fc.record({ at: fc.nat(), remove: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ at: fc.nat(), repeat: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ at: fc.nat(), truncate: fc.constant(true) }),
);

type Mutation = { at: number; insert?: string; remove?: number; repeat?: number; truncate?: boolean };

export function mutate(xml: string, mutations: Mutation[]): string {
  return mutations.reduce((current, { at, insert, remove, repeat, truncate }) => {
    const index = at % (current.length + 1);
    if (insert !== undefined) return current.slice(0, index) + insert + current.slice(index);
    if (remove !== undefined) return current.slice(0, index) + current.slice(index + remove);
    if (repeat !== undefined) return current.slice(0, index + repeat) + current.slice(index);
    return truncate ? current.slice(0, index) : current;
  }, xml);
}

export const ENCODINGS = ['utf8', 'utf8 BOM', 'utf16le BOM', 'utf16be BOM', 'utf16le', 'latin1'] as const;
type Encoding = (typeof ENCODINGS)[number];

export function encode(xml: string, encoding: Encoding): Buffer {
  const utf16le = (): Buffer => Buffer.from(xml, 'utf16le');
  switch (encoding) {
    case 'utf8':
      return Buffer.from(xml, 'utf8');
    case 'utf8 BOM':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml, 'utf8')]);
    case 'utf16le BOM':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le()]);
    case 'utf16be BOM':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), utf16le().swap16()]);
    case 'utf16le':
      return utf16le();
    case 'latin1':
      return Buffer.from(xml, 'latin1');
  }
}

/** Bytes no UTF-8 text holds: a stray continuation byte, an overlong NUL, a surrogate, a cut sequence. */
const INVALID_BYTES = [
  [0xff],
  [0x80],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
];

export function withInvalidBytes(bytes: Buffer, insertions: [number, number][]): Buffer {
  return insertions.reduce((current, [at, which]) => {
    const index = at % (current.length + 1);
    return Buffer.concat([
      current.subarray(0, index),
      Buffer.from(INVALID_BYTES[which]),
      current.subarray(index),
    ]);
  }, bytes);
}

export const configFile = fc.record({
  xml: document,
  mutations: rarely(fc.array(mutation, { minLength: 1, maxLength: 3 }), [], 3),
  encoding: fc.oneof({ weight: 6, arbitrary: fc.constant('utf8' as const) }, fc.constantFrom(...ENCODINGS)),
  invalidBytes: rarely(
    fc.array(fc.tuple(fc.nat(), fc.nat(INVALID_BYTES.length - 1)), { minLength: 1, maxLength: 2 }),
    [],
    5,
  ),
});

export type ConfigFile = typeof configFile extends fc.Arbitrary<infer T> ? T : never;
