import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  backgroundJobs,
  backgroundJobsApi,
  backgroundJobsDashboard,
  BackgroundJobsManager,
  type ScheduledJob,
} from 'web-background-jobs';
import { expectCoded, failureOf, nested } from './coded';
import { ERROR_CODES } from '../src/errors';
import { createManager, describeEachIsolation, onRedis, ROOT } from './helpers';

// Every error that leaves the public API is a BackgroundJobsError with a code, whatever the caller passes:
// Proxies (revoked too), getters that throw, null prototypes, values nested thousands deep.

const trap = (): never => {
  throw new Error('a trap ran.');
};
const TRAPS = {
  get: trap,
  getPrototypeOf: trap,
  ownKeys: trap,
  getOwnPropertyDescriptor: trap,
  has: trap,
  apply: trap,
};
function revoked<T extends object>(target: T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}
/** Values whose reading runs code that throws, or that hides what it is. */
const HOSTILE: Record<string, () => unknown> = {
  'a Proxy whose traps throw': () => new Proxy({}, TRAPS),
  'a Proxy of an array': () => new Proxy([], TRAPS),
  'a Proxy of a function': () => new Proxy(() => 1, TRAPS),
  'a revoked Proxy': () => revoked({}),
  'a revoked Proxy of an array': () => revoked([]),
  'an object whose constructor getter throws': () => Object.defineProperty({}, 'constructor', { get: trap }),
  'an object whose Symbol.toStringTag getter throws': () =>
    Object.defineProperty({}, Symbol.toStringTag, { get: trap }),
  'an object whose prototype’s constructor getter throws': () =>
    Object.create(Object.defineProperty({}, 'constructor', { get: trap })),
  'an object with a throwing enumerable getter': () =>
    Object.defineProperty({}, 'x', { get: trap, enumerable: true }),
  'an array whose first item is a throwing getter': () => Object.defineProperty([1], 0, { get: trap }),
  'an object with a null prototype': () => Object.create(null),
  'a function whose name getter throws': () => Object.defineProperty(() => 1, 'name', { get: trap }),
  'a throwing toJSON getter': () => ({
    get toJSON(): never {
      return trap();
    },
  }),
  'a bigint': () => 10n,
  'a symbol': () => Symbol('s'),
  'arrays nested 5,000 deep': () => nested(5000),
  'a sparse array of length 2^32 − 1': () => Object.assign([], { length: 2 ** 32 - 1 }),
};

/** Every public entry point that takes an argument, called with `value` in that argument. */
function entryPoints(manager: BackgroundJobsManager, scheduled: ScheduledJob, value: () => unknown) {
  const loose = manager as unknown as Record<string, (...args: unknown[]) => unknown>;
  const scheduledJobs = manager.scheduledJobs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const loosely = scheduled as unknown as Record<string, unknown> & {
    nextRunAfter: (after: unknown) => unknown;
  };
  const init = { name: 'Hostile', methodName: 'Reports.Echo', schedule: { cron: '0 0 1 1 *' } };
  return {
    'execute(methodName)': () => loose.execute(value()),
    'execute(params)': () => loose.execute('Reports.Echo', value()),
    'execute(params[0])': () => loose.execute('Reports.Echo', [value()]),
    'execute(params[1])': () => loose.execute('Reports.Echo', [1, value()]),
    'execute(key)': () => loose.execute('Reports.Echo', [], value()),
    'execute(description)': () => loose.execute('Reports.Echo', [], '', value()),
    'execute(options)': () => loose.execute('Reports.Echo', [], '', '', value()),
    'execute({ timeoutSeconds })': () =>
      loose.execute('Reports.Echo', [], '', '', { timeoutSeconds: value() }),
    'waitForCompletion(jobs)': () => loose.waitForCompletion(value(), 0),
    'waitForCompletion([job])': () => loose.waitForCompletion([value()], 0),
    'waitForCompletion(jobs, timeout)': () => loose.waitForCompletion([], value()),
    'waitForExecutionCompletion(jobs)': () => loose.waitForExecutionCompletion(value(), 0),
    'getBackgroundJobs(filter)': () => loose.getBackgroundJobs(value()),
    'getBackgroundJobs({ key })': () => loose.getBackgroundJobs({ key: value() }),
    'getBackgroundJobs({ Состояние })': () => loose.getBackgroundJobs({ Состояние: value() }),
    'getBackgroundJobs({ begin })': () => loose.getBackgroundJobs({ begin: value() }),
    'getBackgroundJobs({ scheduledJob })': () => loose.getBackgroundJobs({ scheduledJob: value() }),
    'findByUUID(uuid)': () => loose.findByUUID(value()),
    'scheduledJobs.create(init)': () => scheduledJobs.create(value()),
    'scheduledJobs.create({ name })': () => scheduledJobs.create({ ...init, name: value() }),
    'scheduledJobs.create({ schedule })': () => scheduledJobs.create({ ...init, schedule: value() }),
    'scheduledJobs.create({ params })': () => scheduledJobs.create({ ...init, params: value() }),
    'scheduledJobs.create({ params: [x] })': () => scheduledJobs.create({ ...init, params: [value()] }),
    'scheduledJobs.get(filter)': () => scheduledJobs.get(value()),
    'scheduledJobs.findByName(name)': () => scheduledJobs.findByName(value()),
    'scheduledJobs.findByUUID(uuid)': () => scheduledJobs.findByUUID(value()),
    'scheduledJob.params =': () => (loosely.params = value()),
    'scheduledJob.params = [x]': () => (loosely.params = [value()]),
    'scheduledJob.schedule =': () => (loosely.schedule = value()),
    'scheduledJob.methodName =': () => (loosely.methodName = value()),
    'scheduledJob.use =': () => (loosely.use = value()),
    'scheduledJob.nextRunAfter(after)': () => loosely.nextRunAfter(value()),
    // Last: it may close the manager, and the calls above would all answer WBJ_CLOSED.
    'close(options)': () => loose.close(value()),
  };
}

describeEachIsolation('hostile arguments', (isolation) => {
  test.each(Object.keys(HOSTILE))(
    '%s, passed to every public method, is refused with a coded BackgroundJobsError',
    async (name) => {
      const manager = createManager({ isolation });
      const scheduled = manager.scheduledJobs.create({
        name: 'Target',
        methodName: 'Reports.Echo',
        schedule: { cron: '0 0 1 1 *' },
      });
      const job = await manager.execute('Reports.Echo', [1]);
      const calls = {
        ...entryPoints(manager, scheduled, HOSTILE[name]),
        'job.getUserMessages(deleteReceived)': () =>
          (job.getUserMessages as (flag: unknown) => unknown)(HOSTILE[name]()),
        'job.waitForCompletion(timeout)': () =>
          (job.waitForCompletion as (timeout: unknown) => unknown)(HOSTILE[name]()),
      };
      const refused: string[] = [];
      for (const [label, call] of Object.entries(calls)) {
        const error = await failureOf(call);
        // Some calls take the value (a null-prototype object is an empty filter); the others must refuse it so.
        if (error === undefined) continue;
        expectCoded(error, label);
        refused.push(label);
      }
      expect(refused).toEqual(expect.arrayContaining(['findByUUID(uuid)', 'scheduledJobs.findByUUID(uuid)']));
    },
  );

  test('execute refuses every parameter that cannot be copied, and starts nothing', async () => {
    const manager = createManager({ isolation });
    const uncopyable = [
      'a Proxy whose traps throw',
      'a Proxy of an array',
      'a Proxy of a function',
      'a revoked Proxy',
      'a revoked Proxy of an array',
      'an object with a throwing enumerable getter',
      'an array whose first item is a throwing getter',
      'a function whose name getter throws',
      'a throwing toJSON getter',
      'a symbol',
      'arrays nested 5,000 deep',
    ];
    for (const name of uncopyable) {
      const make = HOSTILE[name];
      const error = await failureOf(() => manager.execute('Reports.Echo', [1, make()]));
      expect({ name, failed: error !== undefined }).toEqual({ name, failed: true });
      expectCoded(error, name);
    }
    expect(await manager.getBackgroundJobs()).toHaveLength(0);
  });

  test('message() and progress() given a Proxy, a revoked Proxy or a throwing getter throw WBJ_BAD_ARGUMENT inside the job', async () => {
    const manager = createManager({ isolation });
    for (const call of ['message', 'progress']) {
      for (const kind of ['proxy', 'revoked', 'getter']) {
        const job = await manager.execute('Hostile.Report', [call, kind]);
        await manager.waitForCompletion([job]);
        expect(job.result).toEqual({
          name: 'BackgroundJobsError',
          code: 'WBJ_BAD_ARGUMENT',
          message: expect.stringMatching(/takes (text|a number).*, got (a Proxy|an object \(Object\))$/),
        });
      }
    }
  });
});

describeEachIsolation('values in error messages', (isolation) => {
  test.each([
    ['a bigint', 10n, 'got 10n'],
    ['a Proxy', new Proxy({}, TRAPS), 'got a Proxy'],
    ['a revoked Proxy', revoked({}), 'got a Proxy'],
    ['a Proxy of a function', new Proxy(() => 1, TRAPS), 'got a Proxy of a function'],
    [
      'a faked constructor',
      Object.defineProperty({}, 'constructor', { get: trap }),
      'got an object (Object)',
    ],
    [
      'a faked Symbol.toStringTag',
      Object.defineProperty(new Map(), Symbol.toStringTag, { get: trap }),
      'got an object (Map)',
    ],
    ['a null prototype', Object.create(null), 'got an object (null prototype)'],
    ['a class instance', new (class Invoice {})(), 'got an object (Invoice)'],
    [
      'a function with a throwing name',
      Object.defineProperty(() => 1, 'name', { get: trap }),
      'got a function (anonymous)',
    ],
    ['a long string', 'x'.repeat(1_000_000), `got "${'x'.repeat(200)}"… (1000000 characters)`],
  ])('%s is described without running its code', async (_case, value, described) => {
    const manager = createManager({ isolation });
    const error = await failureOf(() => (manager.findByUUID as (uuid: unknown) => unknown)(value));
    expectCoded(error, 'findByUUID');
    expect((error as Error).message).toBe(`findByUUID expects a UUID string, ${described}`);
  });

  test('a parameter that cannot be copied is named by its index, params[1], with one full stop per sentence', async () => {
    const manager = createManager({ isolation });
    const error = await failureOf(() => manager.execute('Reports.Echo', [1, Symbol('z')]));
    expectCoded(error, 'execute');
    expect((error as Error).message).toMatch(
      onRedis()
        ? /^params\[1\] is Symbol\(z\), which Redis cannot store\. A Redis store takes JSON data only/
        : /^params\[1\] \(Symbol\(z\)\) cannot be passed to a background job: Symbol\(z\) could not be cloned\. Pass plain data/,
    );
  });

  test('a parameter whose getter throws is refused naming where, and the getter’s own full stop is not doubled', async () => {
    const manager = createManager({ isolation });
    const param = Object.defineProperty({}, 'total', {
      enumerable: true,
      get: () => {
        throw new Error('the total is not ready.');
      },
    });
    const error = await failureOf(() => manager.execute('Reports.Echo', [1, param]));
    expectCoded(error, 'execute');
    expect((error as Error).message).toMatch(
      onRedis()
        ? /^params\[1\]\.total could not be read \(the total is not ready\), which Redis cannot store\. /
        : /^params\[1\] \(an object \(Object\)\) cannot be passed to a background job: the total is not ready\. Pass plain data/,
    );
  });
});

describe('hostile options', () => {
  const OPTIONS: Record<string, () => unknown> = {
    'a Proxy whose traps throw': () => new Proxy({}, TRAPS),
    'a revoked Proxy': () => revoked({}),
    'options whose logger getter throws': () =>
      Object.defineProperty({}, 'logger', { enumerable: true, get: trap }),
    'options whose manager getter throws': () =>
      Object.defineProperty({}, 'manager', { enumerable: true, get: trap }),
  };
  const STARTS: [string, (options: unknown) => unknown][] = [
    ['new BackgroundJobsManager', (options) => new BackgroundJobsManager(options as never)],
    ['backgroundJobs', (options) => backgroundJobs(options as never)],
    ['backgroundJobsDashboard', (options) => backgroundJobsDashboard(options as never)],
    ['backgroundJobsApi', (options) => backgroundJobsApi(options as never)],
  ];

  test.each(Object.keys(OPTIONS))(
    '%s, given to new BackgroundJobsManager, backgroundJobs, backgroundJobsDashboard or backgroundJobsApi, is refused with WBJ_CONFIG',
    async (name) => {
      for (const [label, start] of STARTS) {
        const error = await failureOf(() => start(OPTIONS[name]()));
        expectCoded(error, label);
        expect(error).toMatchObject({ code: 'WBJ_CONFIG' });
      }
    },
  );
});

test('a sparse params array of length 2^32 − 1 is refused at once instead of being walked', async () => {
  const manager = createManager({ isolation: 'inline' });
  const error = await failureOf(() =>
    manager.execute('Reports.Echo', Object.assign([], { length: 2 ** 32 - 1 })),
  );
  expect(error).toMatchObject({
    code: 'WBJ_BAD_ARGUMENT',
    message: expect.stringContaining('at most 65535 of them; got an array of 4294967295'),
  });
  const waitError = await failureOf(() =>
    manager.waitForCompletion(Object.assign([], { length: 2 ** 32 - 1 })),
  );
  expect(waitError).toMatchObject({
    code: 'WBJ_BAD_ARGUMENT',
    message: expect.stringContaining('jobs[0] is undefined'),
  });
});

test('the table above ERROR_CODES in errors.ts explains every code once, and no other', () => {
  const source = readFileSync(path.join(ROOT, 'src', 'errors.ts'), 'utf8');
  const explained = [...source.matchAll(/^ \* \| `(WBJ_[A-Z_]+)` \|/gm)].map(([, code]) => code);
  expect(explained.sort()).toEqual([...ERROR_CODES].sort());
});
