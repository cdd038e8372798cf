import type { LogFields } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, recordingLogger } from '../helpers';

// The logger option takes pino-, bunyan- and winston-style loggers: the job's uuid, method and key and the error's
// code as fields, so that logs are searchable; console-like loggers keep the readable lines they always had.
jest.setTimeout(30_000);

interface Call {
  readonly level: 'warn' | 'error';
  readonly first: unknown;
  readonly second: unknown;
}

/** A logger shaped as pino's: `child()`, `level`, and methods that take their fields first. */
function pinoLike() {
  const calls: Call[] = [];
  const logger = {
    level: 'info',
    child: () => logger,
    warn: (fields: LogFields, message: string) =>
      calls.push({ level: 'warn', first: fields, second: message }),
    error: (fields: LogFields, message: string) =>
      calls.push({ level: 'error', first: fields, second: message }),
  };
  return { logger, calls };
}

/** A logger shaped as winston's: `child()`, its `transports`, and methods that take the message first. */
function winstonLike() {
  const calls: Call[] = [];
  const logger = {
    transports: [],
    child: () => logger,
    warn: (message: string, meta?: unknown) => calls.push({ level: 'warn', first: message, second: meta }),
    error: (message: string, meta?: unknown) => calls.push({ level: 'error', first: message, second: meta }),
  };
  return { logger, calls };
}

describeEachIsolation('structured logs', (isolation) => {
  test('a pino-style logger gets a failed job as error({ uuid, method, key, err }, line)', async () => {
    const { logger, calls } = pinoLike();
    const manager = createManager({ isolation, logger });
    const job = await manager.execute('Jobs.Fail', ['broken'], 'K7');
    await job.waitForExecutionCompletion();
    await eventually(() => expect(calls).toHaveLength(1));
    const [{ level, first, second }] = calls;
    expect(level).toBe('error');
    expect(first).toEqual({
      uuid: job.uuid,
      method: 'Jobs.Fail',
      key: 'K7',
      err: expect.objectContaining({ message: 'broken' }),
    });
    expect(second).toBe(`[web-background-jobs] Background job ${job.uuid} (Jobs.Fail) failed: broken`);
  });

  test("a job that runs past its time limit is logged with code 'WBJ_JOB_TIMEOUT' among its fields", async () => {
    const { logger, calls } = pinoLike();
    const manager = createManager({ isolation, logger });
    const job = await manager.execute('Jobs.Forever', [], '', '', { timeoutSeconds: 0.05 });
    await job.waitForExecutionCompletion();
    await eventually(() => expect(calls.length).toBeGreaterThan(0));
    expect(calls[0]!.first).toMatchObject({
      uuid: job.uuid,
      method: 'Jobs.Forever',
      code: 'WBJ_JOB_TIMEOUT',
    });
  });

  test('a winston-style logger gets the line first and the fields as its meta', async () => {
    const { logger, calls } = winstonLike();
    const manager = createManager({ isolation, logger });
    const job = await manager.execute('Jobs.Fail', ['broken']);
    await job.waitForExecutionCompletion();
    await eventually(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toEqual({
      level: 'error',
      first: `[web-background-jobs] Background job ${job.uuid} (Jobs.Fail) failed: broken`,
      second: { uuid: job.uuid, method: 'Jobs.Fail', key: '', err: expect.any(Error) },
    });
  });

  test('a listener that throws is logged with the fields of the job it heard', async () => {
    const { logger, calls } = pinoLike();
    const manager = createManager({ isolation, logger });
    manager.on('completed', () => {
      throw new Error('listener bug');
    });
    const job = await manager.execute('Reports.Build', [1, 'a'], 'K');
    await job.waitForCompletion();
    await eventually(() => expect(calls).toHaveLength(1));
    expect(calls[0]!.first).toEqual({
      uuid: job.uuid,
      method: 'Reports.Build',
      key: 'K',
      err: expect.objectContaining({ message: 'listener bug' }),
    });
  });
});

describe('log formats', () => {
  test('the console-like default keeps its readable lines: the sentence, then the error itself', async () => {
    const logger = recordingLogger();
    const errors: unknown[][] = [];
    const manager = createManager({
      isolation: 'inline',
      logger: { warn: logger.warn, error: (...args: unknown[]) => void errors.push(args) },
    });
    const job = await manager.execute('Jobs.Fail', ['broken']);
    await job.waitForExecutionCompletion();
    expect(errors).toEqual([
      [`[web-background-jobs] Background job ${job.uuid} (Jobs.Fail) failed: broken`, expect.any(Error)],
    ]);
  });

  test("logFormat 'object-first' makes a logger without child() structured, and 'text' a pino-style one plain", async () => {
    const fields: unknown[] = [];
    const structured = createManager({
      isolation: 'inline',
      logFormat: 'object-first',
      logger: { warn: () => {}, error: (first: unknown) => void fields.push(first) },
    });
    const failed = await structured.execute('Jobs.Fail', ['broken']);
    await failed.waitForExecutionCompletion();
    expect(fields).toEqual([expect.objectContaining({ uuid: failed.uuid, method: 'Jobs.Fail' })]);

    const { logger, calls } = pinoLike();
    const plain = createManager({ isolation: 'inline', logFormat: 'text', logger });
    const job = await plain.execute('Jobs.Fail', ['broken']);
    await job.waitForExecutionCompletion();
    expect(calls[0]!.first).toBe(
      `[web-background-jobs] Background job ${job.uuid} (Jobs.Fail) failed: broken`,
    );
  });

  test('start-up notices reach a pino-style logger fields first too', () => {
    const { logger, calls } = pinoLike();
    createManager({ logger, handlers: '/nonexistent/handlers' });
    expect(calls).toEqual([
      {
        level: 'warn',
        first: {},
        second: expect.stringContaining('The handlers folder /nonexistent/handlers does not exist yet'),
      },
    ]);
  });

  test('a logFormat that is not one of the four is refused with WBJ_CONFIG naming it', () => {
    expect(() => createManager({ logFormat: 'json' as 'text' })).toThrow(
      expect.objectContaining({
        code: 'WBJ_CONFIG',
        message:
          'The logFormat option must be "auto" or "text" or "object-first" or "message-first", got "json"',
      }),
    );
  });
});
