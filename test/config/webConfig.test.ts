import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobsManager, type BackgroundJobsOptions } from 'web-background-jobs';
import { closeAfterTest, HANDLERS, recordingLogger, tempDir, writeConfig } from '../helpers';

const ATTACH = '    <add key="WebBackgroundJobs" value="attachAssembly" />';

function managerFor(config: string, options: BackgroundJobsOptions = {}) {
  const logger = recordingLogger();
  return { manager: new BackgroundJobsManager({ config, logger, ...options }), logger };
}

function configError(config: string, options: BackgroundJobsOptions = {}): Error & { code?: string } {
  try {
    managerFor(config, options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a configuration error');
}

describe('web.config', () => {
  test('jobsCheckInterval, jobsHistorySize and jobsHandlersPath are read and exposed in settings', () => {
    const config = writeConfig(`${ATTACH}
    <add key="jobsCheckInterval" value="5000" />
    <add key="jobsHistorySize" value="25" />
    <add key="jobsHandlersPath" value="jobs" />`);
    const { settings } = managerFor(config).manager;
    expect(settings).toMatchObject({
      enabled: true,
      configFile: config,
      checkInterval: 5000,
      historySize: 25,
      handlersPath: path.join(path.dirname(config), 'jobs'),
    });
  });

  test('without our keys the defaults apply: 1000 ms, 1000 jobs, handlers beside the config file', () => {
    const config = writeConfig(ATTACH);
    expect(managerFor(config).manager.settings).toMatchObject({
      checkInterval: 1000,
      historySize: 1000,
      handlersPath: path.join(path.dirname(config), 'handlers'),
    });
  });

  test('the isolation keys are read: jobsIsolation, jobsMaxThreads, jobsMaxConcurrency, jobsCancelGraceMs, jobsTimeoutSeconds, jobsWorkerMaxMemoryMb, jobsWorkerNice', () => {
    const config = writeConfig(`${ATTACH}
    <add key="jobsIsolation" value="Thread" />
    <add key="jobsMaxThreads" value="4" />
    <add key="jobsMaxConcurrency" value="3" />
    <add key="jobsCancelGraceMs" value="250" />
    <add key="jobsTimeoutSeconds" value="1.5" />
    <add key="jobsWorkerMaxMemoryMb" value="256" />
    <add key="jobsWorkerNice" value="0" />`);
    expect(managerFor(config).manager.settings).toMatchObject({
      isolation: 'thread',
      maxThreads: 4,
      maxConcurrency: 3,
      cancelGraceMs: 250,
      timeoutSeconds: 1.5,
      workerMaxMemoryMb: 256,
      workerNice: 0,
    });
  });

  test('isolation defaults: thread, one worker per CPU, as many jobs at once as threads, 1 s grace, no time limit, no memory cap, workers 10 nice steps below the event loop', () => {
    expect(managerFor(writeConfig(ATTACH)).manager.settings).toMatchObject({
      isolation: 'thread',
      maxThreads: availableParallelism(),
      maxConcurrency: availableParallelism(),
      cancelGraceMs: 1000,
      timeoutSeconds: 0,
      workerMaxMemoryMb: 0,
      workerNice: 10,
    });
    const inline = managerFor(writeConfig(`${ATTACH}\n    <add key="jobsIsolation" value="inline" />`));
    expect(inline.manager.settings.maxConcurrency).toBe(Infinity);
  });

  test('the Redis store keys are read: jobsStore, jobsQueueName, jobsWorker, jobsLostWorkerSeconds', async () => {
    const config = writeConfig(`${ATTACH}
    <add key="jobsStore" value="redis://127.0.0.1:1/2" />
    <add key="jobsQueueName" value="billing.jobs" />
    <add key="jobsWorker" value="False" />
    <add key="jobsLostWorkerSeconds" value="90" />`);
    const { manager } = managerFor(config);
    expect(manager.settings).toMatchObject({
      store: 'redis://127.0.0.1:1/2',
      queueName: 'billing.jobs',
      worker: false,
      lostWorkerSeconds: 90,
    });
    await manager.close({ graceSeconds: 0 }); // nothing listens on port 1: it was only ever retrying
  });

  test('store defaults: memory, queue web-background-jobs, a worker on every instance, a lost worker after 30 s', () => {
    expect(managerFor(writeConfig(ATTACH)).manager.settings).toMatchObject({
      store: 'memory',
      queueName: 'web-background-jobs',
      worker: true,
      lostWorkerSeconds: 30,
    });
  });

  test('options override the keys of the file', () => {
    const config = writeConfig(`${ATTACH}\n    <add key="jobsCheckInterval" value="5000" />`);
    const { settings } = managerFor(config, {
      checkInterval: 10,
      historySize: 3,
      handlers: 'elsewhere',
    }).manager;
    expect(settings).toMatchObject({
      checkInterval: 10,
      historySize: 3,
      handlersPath: path.resolve('elsewhere'),
    });
  });

  test('<clear/> and <remove/> apply in document order, as in ASP.NET', () => {
    const config = writeConfig(`    <add key="jobsCheckInterval" value="5000" />
    <add key="jobsHistorySize" value="7" />
    <clear />
    ${ATTACH.trim()}
    <add key="jobsHistorySize" value="8" />
    <add key="jobsCheckInterval" value="250" />
    <remove key="JOBSCHECKINTERVAL" />`);
    expect(managerFor(config).manager.settings).toMatchObject({
      checkInterval: 1000,
      historySize: 8,
      enabled: true,
    });
  });

  test('keys compare case-insensitively, the last one winning', () => {
    const config = writeConfig(
      `${ATTACH}\n    <add key="JobsCheckInterval" value="1" />\n    <add key="jobscheckinterval" value="2" />`,
    );
    expect(managerFor(config).manager.settings.checkInterval).toBe(2);
  });

  test('new BackgroundJobsManager() on a file that lacks WebBackgroundJobs is refused with WBJ_CONFIG saying why', () => {
    const config = writeConfig('    <add key="jobsCheckInterval" value="5000" />');
    expect(configError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `web-background-jobs is not attached: ${config} has no <add key="WebBackgroundJobs" value="attachAssembly" /> in <appSettings>. Add that key to attach it, or use backgroundJobs(), which then attaches nothing`,
    });
  });

  test('no file at the default path means defaults, attached, and one warning names the file looked for', () => {
    const folder = tempDir();
    const previous = process.cwd();
    process.chdir(folder);
    try {
      const logger = recordingLogger();
      const manager = new BackgroundJobsManager({ logger });
      expect(manager.settings).toMatchObject({
        enabled: true,
        configFile: undefined,
        checkInterval: 1000,
        handlersPath: path.join(folder, 'handlers'),
      });
      expect(logger.lines.warn).toEqual([
        `[web-background-jobs] No config file at ${path.join(folder, 'web.config')} (the config option is not given, so web.config is looked for in the working folder); defaults and the options given apply.`,
        `[web-background-jobs] The handlers folder ${path.join(folder, 'handlers')} does not exist yet; execute() fails until it does.`,
      ]);
    } finally {
      process.chdir(previous);
    }
  });

  test('a missing file at an explicit path is an error naming it', () => {
    const missing = path.join(tempDir(), 'nope.config');
    expect(configError(missing)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining(missing),
    });
  });

  test.each([
    [
      'malformed XML',
      '<configuration>\n  <appSettings>\n    <add key="a">\n  </appSettings>\n</configuration>',
      /malformed XML: Unexpected close tag; expected a well-formed <configuration> document \(.*web\.config, line 4\)/,
    ],
    ['an empty file', '', /root element must be <configuration>, found an empty document/],
    ['another root element', '<settings />', /root element must be <configuration>, found <settings>/],
    [
      'an <add> without key',
      '<configuration><appSettings><add value="1" /></appSettings></configuration>',
      /<add> inside <appSettings> needs a key attribute/,
    ],
    [
      'an unknown element',
      '<configuration><appSettings><set key="a" /></appSettings></configuration>',
      /<set> is not allowed inside <appSettings>/,
    ],
  ])('%s fails start-up with WBJ_CONFIG naming the file', (_case, xml, message) => {
    const config = path.join(tempDir(), 'web.config');
    writeFileSync(config, xml);
    const error = configError(config);
    expect(error.code).toBe('WBJ_CONFIG');
    expect(error.message).toMatch(message);
    expect(error.message).toContain(config);
  });

  test.each([
    ['jobsCheckInterval', '-5', 'milliseconds up to 2147483647'],
    ['jobsCheckInterval', 'soon', 'milliseconds up to 2147483647'],
    ['jobsCheckInterval', '1.5', 'milliseconds up to 2147483647'],
    ['jobsHistorySize', '', 'jobs'],
  ])('%s = %p fails start-up naming the key, value, line and expected form', (key, value, unit) => {
    const config = writeConfig(
      `${ATTACH}\n    <!-- <add key="${key}" value="commented out" /> -->\n    <add key="${key}" value="${value}" />`,
    );
    expect(configError(config).message).toBe(
      `${key} must be a non-negative integer of ${unit}, got ${JSON.stringify(value)} (${config}, line 6)`,
    );
  });

  test.each([
    ['jobsIsolation', 'process', 'must be "thread" or "inline", got "process"'],
    ['jobsMaxThreads', '0', 'must be a positive integer of threads up to 1024, got "0"'],
    ['jobsMaxConcurrency', 'many', 'must be a positive integer of jobs, got "many"'],
    ['jobsCancelGraceMs', '-1', 'must be a non-negative integer of milliseconds up to 2147483647, got "-1"'],
    ['jobsTimeoutSeconds', '1e3', 'must be a non-negative number of seconds up to 2147483, got "1e3"'],
    ['jobsWorkerMaxMemoryMb', '0.5', 'must be a non-negative integer of megabytes up to 1048576, got "0.5"'],
    ['jobsWorkerNice', '20', 'must be a non-negative integer of nice steps up to 19, got "20"'],
    ['jobsWorkerNice', '-5', 'must be a non-negative integer of nice steps up to 19, got "-5"'],
    [
      'jobsStore',
      'http://cache:6379',
      'must be "memory" or a Redis URL (redis://host:port/db, rediss:// for TLS), got "http://cache:6379"',
    ],
    [
      'jobsStore',
      'redis',
      'must be "memory" or a Redis URL (redis://host:port/db, rediss:// for TLS), got "redis"',
    ],
    ['jobsQueueName', 'a:b', 'must be a name of 1 to 100 letters, digits, ".", "-" or "_", got "a:b"'],
    ['jobsWorker', 'yes', 'must be "true" or "false", got "yes"'],
    ['jobsLostWorkerSeconds', '0', 'must be a positive integer of seconds up to 86400, got "0"'],
  ])('%s = %p fails start-up naming the key, the expected form and the line', (key, value, expected) => {
    const config = writeConfig(`${ATTACH}\n    <add key="${key}" value="${value}" />`);
    expect(configError(config).message).toBe(`${key} ${expected} (${config}, line 5)`);
  });

  test('in thread isolation jobsMaxConcurrency cannot exceed jobsMaxThreads', () => {
    const config = writeConfig(
      `${ATTACH}\n    <add key="jobsMaxThreads" value="2" />\n    <add key="jobsMaxConcurrency" value="3" />`,
    );
    expect(configError(config).message).toMatch(
      /^jobsMaxConcurrency \(3\) cannot exceed jobsMaxThreads \(2\) in thread isolation/,
    );
    expect(managerFor(config, { isolation: 'inline' }).manager.settings.maxConcurrency).toBe(3);
  });

  test.each([
    [{ maxThreads: 2, maxConcurrency: 8 }, '', 'maxConcurrency (8) cannot exceed maxThreads (2)'],
    [
      { maxConcurrency: 8 },
      '<add key="jobsMaxThreads" value="2" />',
      'maxConcurrency (8) cannot exceed jobsMaxThreads (2)',
    ],
    [
      { maxThreads: 2 },
      '<add key="jobsMaxConcurrency" value="8" />',
      'jobsMaxConcurrency (8) cannot exceed maxThreads (2)',
    ],
  ])('a concurrency over the threads given as options %p names them as given', (options, keys, expected) => {
    const config = writeConfig(`${ATTACH}\n    ${keys}`);
    expect(configError(config, options)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining(`${expected} in thread isolation`),
    });
  });

  test.each([
    ['Thread', 'thread'],
    ['INLINE', 'inline'],
  ])('the isolation option %p is read in any case, as web.config is, and kept as %p', (given, kept) => {
    const { manager } = managerFor(writeConfig(ATTACH), { isolation: given as never });
    expect(manager.settings.isolation).toBe(kept);
  });

  test.each([[null], ['web.config'], [[]]])(
    'options %p that are not an object are refused with WBJ_CONFIG',
    (options) => {
      expect(() => new BackgroundJobsManager(options as never)).toThrow(
        expect.objectContaining({
          code: 'WBJ_CONFIG',
          message: expect.stringMatching(/^Options must be an object, got /),
        }),
      );
    },
  );

  test('an unknown WebBackgroundJobs value fails start-up naming the expected one', () => {
    const config = writeConfig('    <add key="WebBackgroundJobs" value="attach" />');
    expect(configError(config).message).toBe(
      `WebBackgroundJobs must be "attachAssembly", got "attach" (${config}, line 4)`,
    );
  });

  test('an unknown jobs… key is reported as a warning, other application keys are left alone', () => {
    const config = writeConfig(
      `${ATTACH}\n    <add key="jobsHistroySize" value="5" />\n    <add key="SmtpHost" value="mail" />`,
    );
    const { logger } = managerFor(config, { handlers: HANDLERS });
    expect(logger.lines.warn).toEqual([
      `[web-background-jobs] Unknown key "jobsHistroySize" (did you mean jobsHistorySize?) in ${config}, line 5 is ignored.`,
    ]);
  });

  test('a key one slip from ours is warned about with a did-you-mean, even without the jobs prefix', () => {
    const config = writeConfig(
      `${ATTACH}
    <add key="jobIsolation" value="thread" />
    <add key="jobsCheckInteval" value="5" />
    <add key="jobsColour" value="red" />
    <add key="SmtpHost" value="mail" />`,
    );
    const { logger } = managerFor(config, { handlers: HANDLERS });
    expect(logger.lines.warn).toEqual([
      `[web-background-jobs] Unknown key "jobIsolation" (did you mean jobsIsolation?) in ${config}, line 5 is ignored.`,
      `[web-background-jobs] Unknown key "jobsCheckInteval" (did you mean jobsCheckInterval?) in ${config}, line 6 is ignored.`,
      `[web-background-jobs] Unknown key "jobsColour" in ${config}, line 7 is ignored.`,
    ]);
  });

  test('a handlers folder that does not exist is reported at start-up', () => {
    const config = writeConfig(ATTACH);
    const { logger } = managerFor(config);
    const folder = path.join(path.dirname(config), 'handlers');
    expect(logger.lines.warn).toEqual([
      `[web-background-jobs] The handlers folder ${folder} does not exist yet; execute() fails until it does.`,
    ]);
  });

  test.each([
    [
      { checkInterval: -1 },
      /checkInterval option must be a non-negative integer of milliseconds up to 2147483647, got -1/,
    ],
    [{ historySize: 1.5 }, /historySize option must be a non-negative integer of jobs, got 1.5/],
    [{ handlers: '' }, /handlers option must be a non-empty path, got ""/],
    [
      { checkIntervall: 5 },
      /Unknown option "checkIntervall" \(did you mean checkInterval\?\); expected one of config, handlers, checkInterval/,
    ],
    [{ isolaton: 'thread' }, /Unknown option "isolaton" \(did you mean isolation\?\); expected one of /],
    [
      { jobsIsolation: 'thread' },
      /Unknown option "jobsIsolation" \("jobsIsolation" is the web.config key; the option is isolation\); expected/,
    ],
    [{ logger: { warn() {} } }, /logger option must have warn and error methods.*lacks error/],
    [{ isolation: 'threads' }, /isolation option must be "thread" or "inline", got "threads"/],
    [{ maxThreads: 2.5 }, /maxThreads option must be a positive integer of threads up to 1024, got 2.5/],
    [{ workerNice: 1.5 }, /workerNice option must be a non-negative integer of nice steps up to 19, got 1.5/],
    [{ workerNice: '5' }, /workerNice option must be a non-negative integer of nice steps up to 19, got "5"/],
    [
      { timeoutSeconds: '5' },
      /timeoutSeconds option must be a non-negative number of seconds up to 2147483, got "5"/,
    ],
  ])('option %p is refused with WBJ_CONFIG', (options, message) => {
    const config = writeConfig(ATTACH);
    const error = configError(config, options as BackgroundJobsOptions);
    expect(error).toMatchObject({ code: 'WBJ_CONFIG', message: expect.stringMatching(message) });
  });
});

describe('web.config <scheduledJobs>', () => {
  const withJobs = (...lines: string[]) => writeConfig(ATTACH, tempDir(), lines.join('\n'));

  test('each <add> declares a scheduled job: cron or 1C-style fields, params as JSON, lists and ranges of days', () => {
    const config = withJobs(
      `    <add name="Nightly" method="Reports.Build" key="night" description="The report" params='[1, "a"]' cron="0 30 3 * * *" timezone="Europe/Moscow" userName="robot" restartCountOnFailure="3" restartIntervalOnFailure="10" />`,
      `    <add name="Workdays" method="Reports.Echo" use="false" predefined="false" repeatPeriodSeconds="900" beginTime="08:00" endTime="18:00" weekDays="1-5" months="1-3,12" daysOfMonth="1,15" />`,
    );
    // Closed after the test: a manager checks its declared jobs' handlers as it starts.
    const declared = closeAfterTest(managerFor(config, { handlers: HANDLERS }).manager).settings
      .scheduledJobs;
    expect(declared.map(({ data, line }) => ({ ...data, line }))).toEqual([
      {
        uuid: expect.any(String),
        name: 'Nightly',
        methodName: 'Reports.Build',
        key: 'night',
        description: 'The report',
        params: [1, 'a'],
        use: true,
        schedule: { cron: '0 30 3 * * *', timezone: 'Europe/Moscow' },
        predefined: true,
        metadata: 'Nightly',
        userName: 'robot',
        restartCountOnFailure: 3,
        restartIntervalOnFailure: 10,
        line: 7,
      },
      {
        uuid: expect.any(String),
        name: 'Workdays',
        methodName: 'Reports.Echo',
        key: '',
        description: '',
        params: [],
        use: false,
        schedule: {
          repeatPeriodSeconds: 900,
          beginTime: '08:00:00',
          endTime: '18:00:00',
          weekDays: [1, 2, 3, 4, 5],
          months: [1, 2, 3, 12],
          daysOfMonth: [1, 15],
        },
        predefined: false,
        metadata: 'Workdays',
        userName: '',
        restartCountOnFailure: 0,
        restartIntervalOnFailure: 0,
        line: 8,
      },
    ]);
    // The same name gives the same UUID on every instance and every start.
    const again = closeAfterTest(managerFor(config, { handlers: HANDLERS }).manager).settings.scheduledJobs;
    expect(again[0].data.uuid).toBe(declared[0].data.uuid);
  });

  test.each([
    [
      `<add name="A" method="Reports.Build" cron="every day" />`,
      /Scheduled job "A": cron "every day" is not a cron expression.*line 7/,
    ],
    [
      `<add name="A" method="Reports" cron="* * * * *" />`,
      /Scheduled job "A": method: Method name "Reports" is not valid/,
    ],
    [`<add name="A" cron="* * * * *" />`, /Scheduled job "A": the method attribute is missing/],
    [
      `<add method="Reports.Build" cron="* * * * *" />`,
      /Scheduled job \(no name\): the name attribute is missing/,
    ],
    [
      `<add name="A" method="Reports.Build" params="[1," cron="* * * * *" />`,
      /Scheduled job "A": params is not JSON/,
    ],
    [
      `<add name="A" method="Reports.Build" params='{"a":1}' cron="* * * * *" />`,
      /Scheduled job "A": params: params must be an array/,
    ],
    [
      `<add name="A" method="Reports.Build" use="yes" cron="* * * * *" />`,
      /Scheduled job "A": use must be "true" or "false", got "yes"/,
    ],
    [
      `<add name="A" method="Reports.Build" predefined="no" cron="* * * * *" />`,
      /Scheduled job "A": predefined must be "true" or "false", got "no"/,
    ],
    [
      `<add name="A" method="Reports.Build" restartCountOnFailure="-1" cron="* * * * *" />`,
      /Scheduled job "A": restartCountOnFailure must be a whole number from 0 to 1000, got "-1"/,
    ],
    [
      `<add name="A" method="Reports.Build" restartIntervalOnFailure="9999999" cron="* * * * *" />`,
      /Scheduled job "A": restartIntervalOnFailure must be a whole number from 0 to 2147483, got 9999999/,
    ],
    [
      `<add name="A" method="Reports.Build" weekDays="Mon" />`,
      /Scheduled job "A": weekDays must list numbers from 1 to 7 and ranges of them, such as "1-5" or "1,3,5"; "Mon" is not one/,
    ],
    [
      `<add name="A" method="Reports.Build" weekDays="6-9" />`,
      /Scheduled job "A": weekDays must list numbers from 1 to 7 and ranges of them, such as "1-5" or "1,3,5"; "6-9" is not one/,
    ],
    [
      `<add name="A" method="Reports.Build" repeatPeriodSeconds="soon" />`,
      /Scheduled job "A": repeatPeriodSeconds must be an integer from 1 to 86400, got "soon"/,
    ],
    [`<add name="A" method="Reports.Build" />`, /Scheduled job "A": schedule is empty/],
    [
      `<add name="A" method="Reports.Build" every="5" cron="* * * * *" />`,
      /Scheduled job "A": unknown attribute "every"/,
    ],
    [
      `<add name="A" method="Reports.Build" cron="* * * * *" descripton="x" />`,
      /Scheduled job "A": unknown attribute "descripton" \(did you mean description\?\); expected name, method/,
    ],
    [`<job name="A" />`, /<job> is not allowed inside <scheduledJobs>/],
  ])('%s fails start-up naming the job and the bad attribute', (line, message) => {
    const error = configError(withJobs(`    ${line}`), { handlers: HANDLERS });
    expect(error).toMatchObject({ code: 'WBJ_CONFIG', message: expect.stringMatching(message) });
  });

  test('two jobs with one name, whatever its case, fail start-up naming both lines', () => {
    const config = withJobs(
      `    <add name="Report" method="Reports.Build" cron="* * * * *" />`,
      `    <add name="REPORT" method="Reports.Echo" cron="* * * * *" />`,
    );
    expect(configError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringMatching(
        /Scheduled job "REPORT": the name is used twice \(also on line 7\).*line 8/,
      ),
    });
  });
});
