import { existsSync } from 'node:fs';
import path from 'node:path';
import { Socket } from 'node:net';
import { validate, version } from 'uuid';
import { BackgroundJob, BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, onRedis, tempDir } from '../helpers';

describeEachIsolation('execute', (isolation) => {
  test('resolves with a registered Active job before the handler has finished', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Sleep', [50], 'k', 'a nap');
    expect(job).toBeInstanceOf(BackgroundJob);
    expect(job.state).toBe(BackgroundJobState.Active);
    expect(validate(job.uuid) && version(job.uuid)).toBe(4);
    expect(job.methodName).toBe('Jobs.Sleep');
    expect(job.key).toBe('k');
    expect(job.description).toBe('a nap');
    // In memory a job begins on execute; on Redis, when a worker takes it from the queue.
    if (onRedis()) await eventually(() => expect(job.begin).toBeInstanceOf(Date));
    else expect(job.begin).toBeInstanceOf(Date);
    expect(job.end).toBeUndefined();
    expect(job.errorInfo).toBeUndefined();
    expect(job.dataSeparation).toEqual({});
    expect(Object.isFrozen(job.dataSeparation)).toBe(true);
    expect(job.scheduledJob).toBeUndefined();
    await job.waitForCompletion();
    expect(job.end!.getTime()).toBeGreaterThanOrEqual(job.begin!.getTime());
  });

  test('gives every job its own version 4 UUID, RFC 4122 variant, lowercase, well past the first few hundred', async () => {
    const manager = createManager({ isolation });
    const jobs = await Promise.all(Array.from({ length: 600 }, () => manager.execute('Jobs.Sleep', [0])));
    const uuids = jobs.map((job) => job.uuid);
    for (const uuid of uuids) {
      expect(uuid).toMatch(/^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/);
      expect(validate(uuid) && version(uuid)).toBe(4);
    }
    expect(new Set(uuids).size).toBe(uuids.length);
    // Each job keeps its own string: a UUID handed out is never written over by a later one.
    expect(jobs.map((job) => job.uuid)).toEqual(uuids);
    await manager.waitForCompletion(jobs);
  });

  test('passes the parameters positionally and keeps the return value as result', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Reports.Build', [1, '1.txt']);
    await job.waitForCompletion();
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toBe('1:1.txt');
  });

  test('awaits an async handler and keeps its resolved value as result', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Reports.EchoLater', [{ deep: [1, 2] }]);
    await job.waitForCompletion();
    expect(job.result).toEqual({ deep: [1, 2] });
  });

  test('omitted params, key and description default to none', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Reports.Echo');
    await job.waitForCompletion();
    expect(job.result).toEqual([]);
    expect(job.key).toBe('');
    expect(job.description).toBe('');
  });

  test('passes copies: changing the arguments after execute does not reach the handler', async () => {
    const manager = createManager({ isolation });
    const argument = { total: 1, items: ['a'] };
    const job = await manager.execute('Reports.EchoLater', [argument]);
    argument.total = 2;
    argument.items.push('b');
    await job.waitForCompletion();
    expect(job.result).toEqual({ total: 1, items: ['a'] });
  });

  test.each([
    ['a function', [1, () => 1], 1],
    ['a socket', [new Socket()], 0],
    ['a symbol', ['x', 'y', Symbol('z')], 2],
  ])(
    'a parameter that cannot be cloned (%s) rejects naming its position, and nothing runs',
    async (_kind, params, index) => {
      const manager = createManager({ isolation });
      const error = await manager.execute('Jobs.Touch', params).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: onRedis() ? 'WBJ_PARAM_NOT_STORABLE' : 'WBJ_PARAM_NOT_CLONEABLE' });
      expect((error as Error).message).toMatch(new RegExp(`^params\\[${index}\\][ .]`));
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );

  test.each([
    ['params that are not an array', ['Reports.Echo', 'not an array'], /params as an array.*"not an array"/],
    ['a key that is not a string', ['Reports.Echo', [], 42], /key must be a string, got 42/],
    [
      'a description that is not a string',
      ['Reports.Echo', [], 'k', {}],
      /description must be a string, got an object/,
    ],
  ])('%s is rejected with a message naming the value', async (_case, args, message) => {
    const manager = createManager({ isolation });
    const execute = manager.execute as (...args: unknown[]) => Promise<unknown>;
    await expect(execute.apply(manager, args)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });

  test("options given in the key's place are rejected with a hint that options are the fifth argument", async () => {
    const manager = createManager({ isolation });
    const execute = manager.execute as (...args: unknown[]) => Promise<unknown>;
    await expect(execute.call(manager, 'Reports.Echo', [], { timeoutSeconds: 5 })).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining(
        'key must be a string, got an object (Object); options such as { timeoutSeconds } are the fifth argument: ' +
          'execute(methodName, params, key, description, options)',
      ),
    });
  });

  test('a job cannot be made outside the manager', () => {
    const construct = BackgroundJob as unknown as new () => BackgroundJob;
    expect(() => new construct()).toThrow(/created by manager\.execute\(\)/);
  });

  test('a synchronous handler starts only after execute has resolved', async () => {
    const manager = createManager({ isolation });
    const file = path.join(tempDir(), 'ran');
    const job = await manager.execute('Jobs.Touch', [file]);
    expect(existsSync(file)).toBe(false);
    await job.waitForCompletion();
    expect(existsSync(file)).toBe(true);
  });
});

describe('execute, inline in memory', () => {
  test('a handler that returns at once ends its job within the pass of the event loop that ran it', async () => {
    const manager = createManager({ isolation: 'inline' });
    const job = await manager.execute('Jobs.ReturnDate');
    // The job runs on the next immediate; one queued after it runs in the same pass, once the job has ended.
    await new Promise((resolve) => setImmediate(resolve));
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toEqual({ at: new Date(0) });
  });
});
