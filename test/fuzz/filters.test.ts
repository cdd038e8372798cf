import fc from 'fast-check';
import { BackgroundJobState, type BackgroundJobsManager } from 'web-background-jobs';
import { createManager, describeEachIsolation, onRedis } from '../helpers';
import { check, expectCoded, timeoutFor } from './fuzz';
import { build, EDGES, FUZZ_HANDLERS, hostile, type Recipe, recipe } from './recipes';

// A filter may be assembled from a request's query. Whatever it is, getBackgroundJobs either answers with some of
// the jobs or rejects with a coded error.

const KEYS = [
  'uuid',
  'key',
  'methodName',
  'description',
  'state',
  'begin',
  'end',
  'scheduledJob',
  'УникальныйИдентификатор',
  'UUID',
  'ИмяМетода',
  'Ключ',
  'Key',
  'Наименование',
  'Начало',
  'Конец',
  'Состояние',
  'State',
  'РегламентноеЗадание',
  'result',
  'errorInfo',
  '__proto__',
  'constructor',
  'toString',
  'unknown',
];

/** A value a filter key may be given: right ones for some key, wrong types, and anything built. */
const filterValue = fc.oneof(
  fc.constantFrom<Recipe>(
    ['json', 'Values.Echo'],
    ['json', 'values.echo'],
    ['json', 'K1'],
    ['json', ''],
    ['json', 'Active'],
    ['json', 'Completed'],
    ['json', 'Завершено'],
    ['json', 'f47ac10b-58cc-4372-a567-0e02b2c3d479'],
    ['json', null],
    ['undefined'],
    ['date', 0],
    ['date', Number.NaN],
  ),
  hostile,
  recipe,
);

type FilterRecipe =
  | {
      kind: 'object';
      entries: [string, Recipe][];
      wrap: 'none' | 'proxy' | 'nullPrototype' | 'getter' | 'symbol';
    }
  | { kind: 'value'; value: Recipe };

const filterRecipe: fc.Arbitrary<FilterRecipe> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('object' as const),
      entries: fc.array(
        fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), filterValue),
        {
          maxLength: 4,
        },
      ),
      wrap: fc.constantFrom('none', 'none', 'proxy', 'nullPrototype', 'getter', 'symbol'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('value' as const), value: fc.oneof(hostile, recipe) }),
  },
);

/** The filter a recipe describes: an object of built values, maybe wrapped, or any value in its place. */
function filterOf(given: FilterRecipe): unknown {
  if (given.kind === 'value') return build(given.value);
  const filter = Object.fromEntries(given.entries.map(([name, value]) => [name, build(value)]));
  switch (given.wrap) {
    case 'proxy':
      return new Proxy(filter, {});
    case 'nullPrototype':
      return Object.assign(Object.create(null), filter);
    case 'getter':
      return Object.defineProperty(filter, 'key', {
        enumerable: true,
        get() {
          throw new Error('a throwing filter getter');
        },
      });
    case 'symbol':
      return Object.assign(filter, { [Symbol('key')]: 'K1' });
    default:
      return filter;
  }
}

/** A few jobs in every state, so that filters have something to match. */
async function withJobs(manager: BackgroundJobsManager): Promise<void> {
  const done = await manager.execute('Values.Echo', [1], 'K1', 'done');
  const failed = await manager.execute('Values.Build', [['hostileProxy']], 'K2');
  await manager.waitForExecutionCompletion([done, failed], 30);
  const cancelled = await manager.execute('Values.Echo', [], 'K3');
  await cancelled.cancel();
}

describeEachIsolation('fuzzing getBackgroundJobs filters', (isolation) => {
  test(
    'getBackgroundJobs with any filter answers with jobs it holds or rejects with a coded error',
    async () => {
      const manager = createManager({ handlers: FUZZ_HANDLERS, isolation });
      await withJobs(manager);
      const uuids = new Set((await manager.getBackgroundJobs()).map((job) => job.uuid));
      await check(
        fc.asyncProperty(filterRecipe, async (given) => {
          let jobs;
          try {
            jobs = await manager.getBackgroundJobs(filterOf(given) as never);
          } catch (error) {
            expectCoded(error, ['WBJ_BAD_ARGUMENT']);
            return;
          }
          for (const job of jobs) expect(uuids.has(job.uuid) && job.state !== undefined).toBe(true);
          expect(jobs.every((job) => Object.values(BackgroundJobState).includes(job.state))).toBe(true);
        }),
        onRedis() ? 150 : 300,
        EDGES.flatMap((value): [FilterRecipe][] => [
          [{ kind: 'value', value }],
          [{ kind: 'object', entries: [['key', value]], wrap: 'none' }],
        ]),
      );
    },
    timeoutFor(300, 100),
  );
});
