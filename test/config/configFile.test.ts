import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobsManager, type BackgroundJobsOptions } from 'web-background-jobs';
import { closeAfterTest, HANDLERS, recordingLogger, runNode, tempDir } from '../helpers';

const DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';
const ATTACH = '<add key="WebBackgroundJobs" value="attachAssembly" />';

/** Writes `content` as web.config in a fresh folder (a string as UTF-8) and returns its path. */
function configFile(content: string | Buffer): string {
  const file = path.join(tempDir(), 'web.config');
  writeFileSync(file, content);
  return file;
}

/** A web.config of these lines, one element or comment a line, numbered from 1 as written. */
function configOf(...lines: string[]): string {
  return configFile(lines.join('\n'));
}

function start(config: string, options: BackgroundJobsOptions = {}) {
  const logger = recordingLogger();
  const manager = closeAfterTest(
    new BackgroundJobsManager({ config, handlers: HANDLERS, isolation: 'inline', logger, ...options }),
  );
  return { manager, warnings: logger.lines.warn };
}

function startUpError(config: string): unknown {
  try {
    start(config);
  } catch (error) {
    return error;
  }
  throw new Error('expected a start-up error');
}

const unknownKey = (key: string, config: string, line: number): string =>
  `[web-background-jobs] Unknown key "${key}" in ${config}, line ${line} is ignored.`;

/**
 * Starts a manager on `config` in a process of its own with a heap of `heapMb` (test/fixtures/process/load-config.mjs):
 * a file that could exhaust memory or hang ends that process, not Jest's.
 */
async function startInOwnProcess(config: string, heapMb = 96): Promise<unknown> {
  const run = await runNode(
    [`--max-old-space-size=${heapMb}`, 'test/fixtures/process/load-config.mjs', HANDLERS],
    { WBJ_CONFIG: config },
  );
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(run.stdout);
}

describe('web.config lines', () => {
  test('each key is reported on the line of its own <add>: written with entities, across lines, in another case, with look-alikes in comments and CDATA', () => {
    const config = configOf(
      DECLARATION, // 1
      '<configuration>',
      '  <appSettings>',
      `    ${ATTACH}`,
      '    <!-- <add key="jobsA&amp;B" value="commented out" /> -->', // 5
      '    <add key="jobsA&amp;B" value="1" />',
      '    <add',
      '      key="jobsAcrossLines" value="2" />',
      '    <add key=\'jobsSingleQuoted\' value="3"/>',
      '    <add key="JOBSCASE" value="4" />', // 10
      '    <add key="jobscase" value="5" />',
      '  </appSettings>',
      '  <notes><![CDATA[',
      '    <add key="jobsSingleQuoted" value="not an element" />',
      '  ]]></notes>', // 15
      '</configuration>',
    );
    expect(start(config).warnings).toEqual([
      unknownKey('jobsA&B', config, 6),
      unknownKey('jobsAcrossLines', config, 7),
      unknownKey('jobsSingleQuoted', config, 9),
      unknownKey('jobscase', config, 11),
    ]);
  });

  test('lines stay right among thousands of keys, other sections nested deep between them, and elements inside an <add>', () => {
    const lines = [DECLARATION, '<configuration>', '  <appSettings>', `    ${ATTACH}`];
    const expected: Array<[string, number]> = [];
    for (let index = 0; index < 2000; index += 1) {
      if (index % 100 === 0) {
        lines.push(
          '  </appSettings>',
          '  <system.webServer><rewrite><rules>',
          '    <rule name="r"><match url=".*" /><conditions><add input="{HTTPS}" pattern="off" /></conditions></rule>',
          '  </rules></rewrite></system.webServer>',
          '  <appSettings>',
        );
      }
      const key = `jobsKey${index}`;
      lines.push(
        index % 7 === 0
          ? `    <add key="${key}" value="${index}"><note>inside</note></add>`
          : `    <add key="${key}" value="${index}" />`,
      );
      expected.push([key, lines.length]);
    }
    lines.push('  </appSettings>', '</configuration>');
    const config = configOf(...lines);
    expect(start(config).warnings).toEqual(expected.map(([key, line]) => unknownKey(key, config, line)));
  });

  test('a scheduled job is reported on its own line: a name with an entity, no name at all, a name used twice', () => {
    const header = [
      DECLARATION,
      '<configuration>',
      `  <appSettings>${ATTACH}</appSettings>`,
      '  <scheduledJobs>',
    ];
    const entity = configOf(
      ...header,
      '    <!-- <add name="A&amp;B" method="Reports.Build" cron="* * * * *" /> -->',
      '    <add name="A&amp;B" method="Reports.Build" cron="every day" />', // 6
      '  </scheduledJobs>',
      '</configuration>',
    );
    expect(startUpError(entity)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringMatching(
        /^Scheduled job "A&B": cron "every day" is not a cron expression.*, line 6\)$/,
      ),
    });
    const unnamed = configOf(
      ...header,
      '',
      '    <add method="Reports.Build" cron="* * * * *" />',
      '  </scheduledJobs>',
      '</configuration>',
    );
    expect(startUpError(unnamed)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `Scheduled job (no name): the name attribute is missing or empty; every scheduled job needs a unique name (${unnamed}, line 6)`,
    });
    const twice = configOf(
      ...header,
      '    <add name="Report" method="Reports.Build" cron="* * * * *" />',
      '    <add name="REPORT" method="Reports.Echo" cron="* * * * *" />',
      '  </scheduledJobs>',
      '  <notes><![CDATA[ <add name="Report" /> ]]></notes>',
      '</configuration>',
    );
    expect(startUpError(twice)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringMatching(
        /^Scheduled job "REPORT": the name is used twice \(also on line 5\).*, line 6\)$/,
      ),
    });
  });
});

describe('web.config lists of days and months', () => {
  const withJob = (attributes: string) =>
    configOf(
      DECLARATION,
      '<configuration>',
      `  <appSettings>${ATTACH}</appSettings>`,
      '  <scheduledJobs>',
      `    <add name="Days" method="Reports.Build" ${attributes} />`,
      '  </scheduledJobs>',
      '</configuration>',
    );

  test.each([
    ['"1-300000000"', '1-300000000'],
    ['"1-" and 400 nines', `1-${'9'.repeat(400)}`],
  ])(
    'weekDays=%s is refused before it is expanded, in a process with a 96 MB heap',
    async (_label, value) => {
      const config = withJob(`weekDays="${value}"`);
      expect(await startInOwnProcess(config)).toEqual({
        code: 'WBJ_CONFIG',
        message: `Scheduled job "Days": weekDays must list numbers from 1 to 7 and ranges of them, such as "1-5" or "1,3,5"; "${value}" is not one (${config}, line 5)`,
      });
    },
  );

  test.each([
    ['months', '0-3', 12, '0-3'],
    ['daysOfMonth', '1,5-32', 31, '5-32'],
    ['daysOfMonth', '31-1', 31, '31-1'],
  ])('%s="%s" is refused, naming the range and the part that leaves it', (field, value, max, part) => {
    const config = withJob(`${field}="${value}"`);
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `Scheduled job "Days": ${field} must list numbers from 1 to ${max} and ranges of them, such as "1-5" or "1,3,5"; "${part}" is not one (${config}, line 5)`,
    });
  });

  test('a list that repeats its ranges is as long as its distinct values', () => {
    const config = withJob(`months="${'1-12,'.repeat(50_000)}6"`);
    const [declared] = start(config).manager.settings.scheduledJobs;
    expect(declared.data.schedule).toEqual({ months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
  });
});

describe('web.config encodings', () => {
  const lines = [
    '<?xml version="1.0" encoding="utf-16"?>',
    '<configuration>',
    '  <appSettings>',
    `    ${ATTACH}`,
    '    <add key="jobsHandlersPath" value="обработчики" />',
    '    <add key="jobsЗадания" value="1" />',
    '  </appSettings>',
    '</configuration>',
  ];
  const text = lines.join('\n');

  test.each([
    ['UTF-16 little-endian with its byte-order mark', Buffer.from(`\uFEFF${text}`, 'utf16le')],
    ['UTF-16 big-endian with its byte-order mark', Buffer.from(`\uFEFF${text}`, 'utf16le').swap16()],
    ['UTF-8 with a byte-order mark', Buffer.from(`\uFEFF${text.replace('utf-16', 'utf-8')}`, 'utf8')],
  ])('%s is read: values, lines and all', (_encoding, bytes) => {
    const config = configFile(bytes);
    // Without the handlers option, so that jobsHandlersPath is read.
    const { manager, warnings } = start(config, { handlers: undefined });
    const handlers = path.join(path.dirname(config), 'обработчики');
    expect(manager.settings.handlersPath).toBe(handlers);
    expect(warnings).toEqual([
      unknownKey('jobsЗадания', config, 6),
      `[web-background-jobs] The handlers folder ${handlers} does not exist yet; execute() fails until it does.`,
    ]);
  });

  test('windows-1251 is refused, naming the encoding it declares and the first line that is not UTF-8', () => {
    const cyrillic = Buffer.from([0xee, 0xe1, 0xf0, 0xe0, 0xe1, 0xee, 0xf2, 0xf7, 0xe8, 0xea, 0xe8]); // обработчики
    const config = configFile(
      Buffer.concat([
        Buffer.from(`${lines[0].replace('utf-16', 'windows-1251')}\n${lines.slice(1, 4).join('\n')}\n`),
        Buffer.from('    <add key="jobsHandlersPath" value="'),
        cyrillic,
        Buffer.from(`" />\n${lines.slice(5).join('\n')}`),
      ]),
    );
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `The config file is not valid UTF-8 (it declares encoding "windows-1251", which is not read); save it as UTF-8, or UTF-16 with a byte-order mark (${config}, line 5)`,
    });
  });

  test.each([
    [
      'UTF-16 without a byte-order mark',
      Buffer.from(text, 'utf16le'),
      'The config file has a NUL byte, which XML does not allow: if it is UTF-16, save it with a byte-order mark, or as UTF-8 (CONFIG, line 1)',
    ],
    [
      'UTF-32 with its byte-order mark',
      Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from(text, 'utf16le')]),
      'The config file is UTF-32, which is not read; save it as UTF-8, or UTF-16 with a byte-order mark (CONFIG)',
    ],
    [
      'UTF-16 cut short in the middle of a character',
      Buffer.from(`\uFEFF${text}`, 'utf16le').subarray(0, 101),
      'The config file is UTF-16 (little-endian, by its byte-order mark) but has an odd number of bytes: it is cut short (CONFIG)',
    ],
  ])('%s is refused with WBJ_CONFIG naming the encoding', (_case, bytes, message) => {
    const config = configFile(bytes);
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: message.replace('CONFIG', config),
    });
  });
});

describe('web.config that would exhaust the process', () => {
  test('a file over 4 MiB is refused before it is read', () => {
    const text = `<configuration><!--${' '.repeat(4 * 1024 * 1024)}--></configuration>`;
    const config = configFile(text);
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `The config file is ${text.length} bytes; at most 4194304 (4 MiB) are read (${config})`,
    });
  });

  test('more than 50,000 elements are refused at the first one past the limit', () => {
    const config = configOf(
      '<configuration>',
      '  <appSettings>',
      ...Array.from({ length: 49_998 }, () => '    <clear />'),
      '    <clear /><clear />',
      '  </appSettings>',
      '</configuration>',
    );
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `The config file has more than 50000 elements, more than is read (${config}, line 50001)`,
    });
  });

  test('elements nested more than 64 deep are refused at the first one too deep', () => {
    const config = configOf(
      '<configuration>',
      ...Array.from({ length: 64 }, () => '<a>'),
      ...Array(64).fill('</a>'),
      '</configuration>',
    );
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `The config file nests elements more than 64 deep, deeper than is read (${config}, line 65)`,
    });
  });

  test('200,000 nested elements are refused in a process with a 96 MB heap', async () => {
    const config = configFile(
      `<configuration>${'<a>'.repeat(200_000)}${'</a>'.repeat(200_000)}</configuration>`,
    );
    expect(await startInOwnProcess(config)).toEqual({
      code: 'WBJ_CONFIG',
      message: `The config file nests elements more than 64 deep, deeper than is read (${config}, line 1)`,
    });
  });

  test.each([
    [
      'internal entities ("billion laughs")',
      [
        '<!DOCTYPE configuration [',
        '  <!ENTITY lol "lol">',
        '  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">',
        '  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">',
        ']>',
      ],
    ],
    ['an external entity', ['<!DOCTYPE configuration [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>']],
  ])('a <!DOCTYPE> with %s is refused', (_case, doctype) => {
    const config = configOf(
      DECLARATION,
      ...doctype,
      '<configuration>',
      `  <appSettings>${ATTACH}<add key="jobsA" value="&lol3;&secret;" /></appSettings>`,
      '</configuration>',
    );
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `<!DOCTYPE> is not allowed in web.config: document types and entity declarations are not read (${config}, line 2)`,
    });
  });

  test('text after a second root element is malformed XML, refused with WBJ_CONFIG naming its line', () => {
    const config = configOf(
      DECLARATION,
      `<configuration><appSettings>${ATTACH}</appSettings></configuration>`,
      '<configuration />',
      'text',
    );
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `malformed XML: Text data outside of root node.; expected a well-formed <configuration> document (${config}, line 4)`,
    });
  });

  test('a config path that is not a regular file is refused without reading it: /dev/zero, in a process with a 96 MB heap', async () => {
    expect(await startInOwnProcess('/dev/zero')).toEqual({
      code: 'WBJ_CONFIG',
      message: 'The config path is not a regular file (/dev/zero)',
    });
  });

  test('a folder given as the config path is refused as not a regular file', () => {
    const folder = path.join(tempDir(), 'web.config');
    mkdirSync(folder);
    expect(startUpError(folder)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `The config path is not a regular file (${folder})`,
    });
  });
});
