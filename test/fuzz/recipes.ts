import path from 'node:path';
import fc from 'fast-check';

/** The handlers of the fuzz suites: `Values.Echo`, `Values.Build`, and `Recorder.Echo` among traps. */
export const FUZZ_HANDLERS = path.join(__dirname, '..', 'fixtures', 'fuzz', 'handlers');

/** A value described as JSON, `[kind, ...arguments]`, so it can be built in the test or inside a job alike. */
export type Recipe = [string, ...unknown[]];

/** Builds the value a recipe describes (the same code the `Values.Build` handler runs). */
export const build: (recipe: Recipe) => unknown = require('../fixtures/fuzz/values').build;

/**
 * Text for keys and messages, with the names objects treat specially; never `then`, which would make a result a
 * thenable that never settles (a handler that never returns, not a finding).
 */
const key = fc.oneof(
  fc.string({ maxLength: 8 }).filter((text) => text !== 'then'),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON', 'length', '0', ''),
);

/** Values built to break whatever reads them: cycles, Proxies, throwing getters, functions, symbols. */
export const hostile: fc.Arbitrary<Recipe> = fc.constantFrom<Recipe>(
  ['arrayCycle'],
  ['revokedProxy'],
  ['hostileProxy'],
  ['throwingGetter'],
  ['throwingConstructorGetter'],
  ['throwingToJSON'],
  ['function'],
  ['throwingThen'],
  ['weakMap'],
  ['symbol', 'a'],
);

/**
 * Every structured-clone and JSON edge once, so each run of a property covers them all whatever the seed draws:
 * they are its first inputs.
 */
export const EDGES: Recipe[] = [
  ['bigint', '10'],
  ['number', '-0'],
  ['number', 'NaN'],
  ['number', 'Infinity'],
  ['undefined'],
  ['sparse', 3, [1, ['json', 1]]],
  ['date', 0],
  ['date', Number.NaN],
  [
    'map',
    [
      ['json', 'a'],
      ['json', 1],
    ],
  ],
  ['set', ['json', 1]],
  ['typedArray', 'Uint8Array', 1, 2],
  ['typedArray', 'BigInt64Array', 1],
  ['arrayBuffer', 8],
  ['cycle', ['json', 1]],
  ['arrayCycle'],
  ['nullPrototype', ['a', ['json', 1]]],
  ['instance', ['json', 1]],
  ['proxy', ['object', ['a', ['json', 1]]]],
  ['proxy', ['set', ['json', 1]]],
  ['revokedProxy'],
  ['hostileProxy'],
  ['throwingGetter'],
  ['throwingConstructorGetter'],
  ['throwingToJSON'],
  ['symbol', 'a'],
  ['symbolKey', ['json', 1]],
  ['function'],
  ['deep', 5_000, 'array'],
  ['deep', 10_000, 'array'],
  ['deep', 10_000, 'object'],
  ['string', 1_000_000, 'é'],
];

/** Depths up to the 10,000 levels JSON and structured clone must survive, most of them small. */
const depth = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(1_000, 5_000, 10_000));

const leaf: fc.Arbitrary<Recipe> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value): Recipe => ['json', value]),
  fc
    .constantFrom('NaN', 'Infinity', '-Infinity', '-0', '1e308', '5e-324', '9007199254740993')
    .map((text): Recipe => ['number', text]),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((value): Recipe => ['bigint', String(value)]),
  fc.constant<Recipe>(['undefined']),
  fc
    .tuple(fc.constantFrom(0, 1, 1_000, 100_000, 1_000_000), fc.constantFrom('a', 'é', '😀', '\0', '\uD800'))
    .map(([length, char]): Recipe => ['string', length, char]),
  fc
    .oneof(fc.integer(), fc.constantFrom(Number.NaN, 8.64e15, 8.64e15 + 1, -8.64e15 - 1))
    .map((time): Recipe => ['date', time]),
  fc
    .tuple(
      fc.constantFrom('Uint8Array', 'Int32Array', 'Float64Array', 'BigInt64Array', 'Uint8ClampedArray'),
      fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 5 }),
    )
    .map(([type, numbers]): Recipe => ['typedArray', type, ...numbers]),
  fc.nat(64).map((length): Recipe => ['arrayBuffer', length]),
  fc.nat(64).map((length): Recipe => ['dataView', length]),
  key.map((text): Recipe => ['error', text]),
  key.map((text): Recipe => ['regExp', text]),
  fc
    .oneof(fc.string({ maxLength: 4 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean())
    .map((value): Recipe => ['boxed', value]),
  key.map((text): Recipe => ['symbol', text]),
  fc
    .tuple(depth, fc.constantFrom('array', 'object'))
    .map(([levels, shape]): Recipe => ['deep', levels, shape]),
  hostile,
);

/** Any recipe: leaves, and containers of recipes a few levels deep. */
export const recipe: fc.Arbitrary<Recipe> = fc.letrec<{ recipe: Recipe }>((tie) => {
  const item = tie('recipe');
  const items = fc.array(item, { maxLength: 3 });
  const entries = fc.array(fc.tuple(key, item), { maxLength: 3 });
  return {
    recipe: fc.oneof(
      { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
      { weight: 3, arbitrary: leaf },
      items.map((list): Recipe => ['array', ...list]),
      fc
        .tuple(
          fc.integer({ min: 1, max: 100_000 }),
          fc.array(fc.tuple(fc.nat(99_999), item), { maxLength: 2 }),
        )
        .map(([length, list]): Recipe => [
          'sparse',
          length,
          ...list.map(([at, each]) => [at % length, each]),
        ]),
      entries.map((list): Recipe => ['object', ...list]),
      entries.map((list): Recipe => ['nullPrototype', ...list]),
      item.map((each): Recipe => ['instance', each]),
      fc.array(fc.tuple(item, item), { maxLength: 2 }).map((list): Recipe => ['map', ...list]),
      items.map((list): Recipe => ['set', ...list]),
      item.map((each): Recipe => ['cycle', each]),
      item.map((each): Recipe => ['shared', each]),
      item.map((each): Recipe => ['proxy', each]),
      item.map((each): Recipe => ['symbolKey', each]),
      item.map((each): Recipe => ['thenable', each]),
    ),
  };
}).recipe;
