import {
  backgroundJobs,
  BackgroundJobsManager,
  type BackgroundJobsOptions,
  BackgroundJobState,
} from 'web-background-jobs';
import { closeAfterTest, createManager, HANDLERS, recordingLogger, writeConfig } from '../helpers';

// Node turns a timer delay over 2^31 - 1 ms into 1 ms: a setting past it would make an interval spin and a timeout
// fire at once. Every time value a user gives is held under it, in its own unit.
const CEILING_MS = 2 ** 31 - 1;
const CEILING_SECONDS = Math.floor(CEILING_MS / 1000);
const ATTACH = '    <add key="WebBackgroundJobs" value="attachAssembly" />';

function managerFor(config: string, options: BackgroundJobsOptions = {}): BackgroundJobsManager {
  return closeAfterTest(
    new BackgroundJobsManager({ config, handlers: HANDLERS, logger: recordingLogger(), ...options }),
  );
}

function startUpError(config: string, options: BackgroundJobsOptions = {}): unknown {
  try {
    managerFor(config, options);
  } catch (error) {
    return error;
  }
  throw new Error('expected a start-up error');
}

/** Each time setting: its key, its option, the largest value it takes, the smallest it refuses, the expected form. */
const TIME_SETTINGS = [
  {
    key: 'jobsCheckInterval',
    option: 'checkInterval',
    largest: CEILING_MS,
    refused: CEILING_MS + 1,
    expected: `a non-negative integer of milliseconds up to ${CEILING_MS}`,
  },
  {
    key: 'jobsCancelGraceMs',
    option: 'cancelGraceMs',
    largest: CEILING_MS,
    refused: CEILING_MS + 1,
    expected: `a non-negative integer of milliseconds up to ${CEILING_MS}`,
  },
  {
    key: 'jobsTimeoutSeconds',
    option: 'timeoutSeconds',
    largest: CEILING_SECONDS,
    refused: CEILING_SECONDS + 0.5,
    expected: `a non-negative number of seconds up to ${CEILING_SECONDS}`,
  },
  {
    key: 'jobsLostWorkerSeconds',
    option: 'lostWorkerSeconds',
    largest: 86_400,
    refused: 86_401,
    expected: 'a positive integer of seconds up to 86400',
  },
] as const;

describe('time settings stay under setTimeout’s ceiling of 2147483647 ms', () => {
  test.each(TIME_SETTINGS)('$key and its option take $largest', ({ key, option, largest }) => {
    const config = writeConfig(`${ATTACH}\n    <add key="${key}" value="${largest}" />`);
    expect(managerFor(config).settings[option]).toBe(largest);
    expect(managerFor(writeConfig(ATTACH), { [option]: largest }).settings[option]).toBe(largest);
  });

  test.each(TIME_SETTINGS)(
    '$key = $refused is refused with WBJ_CONFIG naming the key, the value, the range and the line',
    ({ key, refused, expected }) => {
      const config = writeConfig(`${ATTACH}\n    <add key="${key}" value="${refused}" />`);
      expect(startUpError(config)).toMatchObject({
        code: 'WBJ_CONFIG',
        message: `${key} must be ${expected}, got "${refused}" (${config}, line 5)`,
      });
    },
  );

  test.each(TIME_SETTINGS)(
    'the $option option = $refused is refused with WBJ_CONFIG naming the option and the value',
    ({ option, refused, expected }) => {
      expect(startUpError(writeConfig(ATTACH), { [option]: refused })).toMatchObject({
        code: 'WBJ_CONFIG',
        message: `The ${option} option must be ${expected}, got ${refused}`,
      });
    },
  );

  test('jobsCheckInterval = 2^53 - 1, accepted before, is refused', () => {
    const config = writeConfig(`${ATTACH}\n    <add key="jobsCheckInterval" value="9007199254740991" />`);
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringContaining(
        `jobsCheckInterval must be a non-negative integer of milliseconds up to ${CEILING_MS}`,
      ),
    });
  });
});

describe('time arguments stay under setTimeout’s ceiling', () => {
  const over = CEILING_SECONDS + 1;
  const range = `the timeout must be a number of seconds from 0 to ${CEILING_SECONDS}, or omitted to wait without one; got ${over}`;

  test('execute({ timeoutSeconds }) past the ceiling is refused with WBJ_BAD_ARGUMENT, and nothing runs', async () => {
    const manager = createManager({ isolation: 'inline' });
    await expect(manager.execute('Reports.Echo', [], '', '', { timeoutSeconds: over })).rejects.toMatchObject(
      {
        code: 'WBJ_BAD_ARGUMENT',
        message: `execute({ timeoutSeconds }): ${range}`,
      },
    );
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test('waits past the ceiling are refused with WBJ_BAD_ARGUMENT naming the call', async () => {
    const manager = createManager({ isolation: 'inline' });
    const job = await manager.execute('Reports.EchoLater', ['done']);
    await expect(manager.waitForCompletion([job], over)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: `waitForCompletion: ${range}`,
    });
    await expect(manager.waitForExecutionCompletion([job], over)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: `waitForExecutionCompletion: ${range}`,
    });
    await expect(job.waitForCompletion(over)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: `job.waitForCompletion: ${range}`,
    });
  });

  test('close({ graceSeconds }) past the ceiling is refused with WBJ_BAD_ARGUMENT, and the manager stays open', async () => {
    const manager = createManager({ isolation: 'inline' });
    await expect(manager.close({ graceSeconds: over })).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: `close({ graceSeconds }): ${range}`,
    });
    const job = await manager.execute('Reports.Echo', ['open']);
    await job.waitForCompletion();
    expect(job.result).toEqual(['open']);
  });

  test('closeOnServerClose: { graceSeconds } past the ceiling is refused with WBJ_CONFIG', () => {
    expect(() =>
      backgroundJobs({
        config: writeConfig(ATTACH),
        logger: recordingLogger(),
        closeOnServerClose: { graceSeconds: over },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'WBJ_CONFIG',
        message: `closeOnServerClose: { graceSeconds }: ${range}`,
      }),
    );
  });

  test('a schedule repeating past a day is refused, in the API and in web.config', () => {
    const manager = createManager({ isolation: 'inline' });
    expect(() =>
      manager.scheduledJobs.create({
        name: 'Slow',
        methodName: 'Reports.Echo',
        schedule: { repeatPeriodSeconds: 86_401 },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringContaining('repeatPeriodSeconds must be an integer from 1 to 86400, got 86401'),
      }),
    );
    const config = writeConfig(
      ATTACH,
      undefined,
      '    <add name="Slow" method="Reports.Echo" repeatPeriodSeconds="86401" />',
    );
    expect(startUpError(config)).toMatchObject({
      code: 'WBJ_CONFIG',
      message: `Scheduled job "Slow": repeatPeriodSeconds must be an integer from 1 to 86400, got 86401 (${config}, line 7)`,
    });
  });

  test('at the ceiling itself a time limit and a wait hold: the job completes instead of timing out after 1 ms', async () => {
    const manager = createManager({ isolation: 'inline' });
    const job = await manager.execute('Reports.EchoLater', ['in time'], '', '', {
      timeoutSeconds: CEILING_SECONDS,
    });
    const finished = await manager.waitForExecutionCompletion([job], CEILING_SECONDS);
    expect(finished).toEqual([job]);
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toBe('in time');
  });
});
