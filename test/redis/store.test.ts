import { BackgroundJobState } from 'web-background-jobs';
import { createManager, eventually, recordingLogger, tempDir, useRedisStore, writeConfig } from '../helpers';
import { freePort, startRedis } from '../redisServer';

// What only a Redis store does, in one process: JSON-only data, and a Redis that is not there (yet).

describe('a Redis store', () => {
  useRedisStore();

  test.each([
    [
      'a Date inside an object',
      [{ when: new Date(0) }],
      /^params\[0\]\.when is a Date, which Redis cannot store/,
    ],
    ['NaN inside an array', [1, [2, Number.NaN]], /^params\[1\]\[1\] is NaN, which Redis cannot store/],
    ['undefined', [undefined], /^params\[0\] is undefined, which Redis cannot store/],
  ])(
    'a parameter with %s rejects execute with WBJ_PARAM_NOT_STORABLE naming the position and the part',
    async (_case, params, message) => {
      const manager = createManager({ isolation: 'inline' });
      const error = await manager.execute('Reports.Echo', params).catch((failure: unknown) => failure);
      expect(error).toMatchObject({
        code: 'WBJ_PARAM_NOT_STORABLE',
        message: expect.stringMatching(message),
      });
      expect((error as Error).message).toMatch(/A Redis store takes JSON data only/);
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );

  test('a result that is not JSON fails its job with WBJ_RESULT_NOT_STORABLE, logged', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation: 'inline', logger });
    const job = await manager.execute('Jobs.ReturnDate');
    await manager.waitForExecutionCompletion([job]);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject({
      code: 'WBJ_RESULT_NOT_STORABLE',
      description: expect.stringMatching(/returned a result Redis cannot store: result\.at is a Date/),
    });
    expect(logger.lines.error).toEqual([expect.stringContaining(job.uuid)]);
  });
});

test('a Redis that is not there: execute rejects with WBJ_STORE_UNAVAILABLE naming the URL without its password, and close() still resolves', async () => {
  const port = await freePort();
  const logger = recordingLogger();
  const manager = createManager({ store: `redis://:secret@127.0.0.1:${port}`, logger });
  const error = (await manager.execute('Reports.Echo').catch((failure: unknown) => failure)) as Error;
  expect(error).toMatchObject({
    code: 'WBJ_STORE_UNAVAILABLE',
    message: expect.stringContaining(`the Redis store redis://:***@127.0.0.1:${port} is unreachable`),
  });
  expect(error.message).not.toContain('secret');
  expect(logger.lines.error.join('\n')).not.toContain('secret');
  await manager.close({ graceSeconds: 0 });
});

test('scheduled jobs declared in web.config are scheduled once Redis comes up after the application started', async () => {
  const server = await startRedis({ persistent: true });
  await server.stop();
  const logger = recordingLogger();
  const config = writeConfig(
    '    <add key="WebBackgroundJobs" value="attachAssembly" />',
    tempDir(),
    '    <add name="Early" method="Reports.Build" params="[1]" cron="* * * * * *" />',
  );
  const manager = createManager({ config, store: server.url, isolation: 'inline', logger });
  try {
    await eventually(() => {
      expect(logger.lines.warn.join('\n')).toMatch(
        /Scheduled job "Early" is not scheduled yet: .*unreachable.*retrying/,
      );
    }, 10_000);
    await server.restart();
    await manager.scheduledJobs.ready;
    const [early] = await manager.scheduledJobs.get();
    expect(early).toMatchObject({ name: 'Early', predefined: true });
    await eventually(async () => {
      expect(await manager.getBackgroundJobs({ scheduledJob: early })).not.toEqual([]);
    }, 10_000);
  } finally {
    await manager.close({ graceSeconds: 0 });
    await server.stop();
  }
});
