import { readFileSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { BackgroundJobState, type Isolation } from 'web-background-jobs';
import { createManager, ISOLATIONS } from '../helpers';
import { check, expectCoded, safeInspect, timeoutFor } from './fuzz';
import { build, EDGES, FUZZ_HANDLERS, hostile, type Recipe, recipe } from './recipes';

// A method name may come from a request. Whatever it is, execute either runs the one function it names among the
// own exports of a module directly in the handlers folder, or rejects with a coded error; it never runs a module
// outside the folder (Outside.js beside it, nested/Inner.js below it), an inherited or non-exported function, or
// an export named like a member of every object. Each of those records its call (fixtures/fuzz/record.js).

const { CALLS }: { CALLS: string } = require('../fixtures/fuzz/record');

/** The one call a name may cause, and the name that causes it (case-insensitively, as 1C resolves names). */
const ALLOWED_CALL = 'Recorder.Echo';

const PIECES = [
  'Recorder',
  'recorder',
  'Values',
  'Outside',
  'nested',
  'Inner',
  'handlers',
  'fuzz',
  'fixtures',
  'Echo',
  'Inherited',
  'Hidden',
  'hidden',
  'NotAFunction',
  'Nested',
  'Run',
  'record',
  'Build',
  'default',
  'module',
  'exports',
  'then',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Function.prototype),
];

const SEPARATORS = [
  '.',
  '.',
  '..',
  '/',
  '\\',
  '../',
  './',
  '%2e',
  '%2f',
  ' ',
  '\0',
  ':',
  '#',
  '\uFF0E',
  '\u2024',
];

/** Names assembled from the folder's own names, prototype members and path tricks. */
const assembled = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.mixedCase(fc.constantFrom(...PIECES)) },
      { weight: 2, arbitrary: fc.constantFrom(...SEPARATORS) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { minLength: 1, maxLength: 7 },
  )
  .map((parts) => parts.join(''));

const methodName = fc.oneof(
  { weight: 6, arbitrary: assembled },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(250, 255, 256, 100_000), fc.constantFrom('a', 'Recorder.Echo', 'é', '😀'))
      .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '../Outside.Run',
      'Outside.Run',
      'nested/Inner.Run',
      'nested.Inner.Run',
      'Inner.Run',
      'Recorder.Nested.Run',
      'Recorder.Echo.Extra',
      'Module.Method.Extra',
      '__proto__.constructor',
      'constructor.prototype',
      'Recorder.__proto__',
      'Recorder.constructor',
      'Recorder.hasOwnProperty',
      'Recorder.toString',
      'Recorder.valueOf',
      'Recorder.Inherited',
      'Recorder.Hidden',
      'Recorder.hidden',
      'Recorder.NotAFunction',
      `${FUZZ_HANDLERS}/Recorder.Echo`,
      'recorder.echo',
      'RECORDER.ECHO',
      'Recorder.Echo ',
      ' Recorder.Echo',
      'Recorder..Echo',
      'Recorder.Echo\0',
    ),
  },
);

/** A name, or anything at all where the name should be, as a JavaScript caller may pass it (built when used). */
const nameOrValue = fc.oneof(
  { weight: 9, arbitrary: methodName.map((name) => ({ name })) },
  { weight: 1, arbitrary: fc.oneof(hostile, recipe).map((value) => ({ value })) },
);

function calls(): string[] {
  try {
    return readFileSync(CALLS, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe.each(ISOLATIONS)('fuzzing method names [%s]', (isolation: Isolation) => {
  const runs = isolation === 'thread' ? 150 : 400;

  beforeEach(() => rmSync(CALLS, { force: true }));
  afterAll(() => rmSync(CALLS, { force: true }));

  test(
    'execute runs Recorder.Echo for its own name only; any other name rejects with a coded error and runs nothing',
    async () => {
      const manager = createManager({ handlers: FUZZ_HANDLERS, isolation });
      await check(
        fc.asyncProperty(nameOrValue, async (given) => {
          const name = 'name' in given ? given.name : build(given.value);
          rmSync(CALLS, { force: true });
          try {
            const job = await manager.execute(name as string, [1]);
            await manager.waitForExecutionCompletion([job], 30);
            expect(job.state).not.toBe(BackgroundJobState.Active);
          } catch (error) {
            expectCoded(error);
          }
          const ran = calls();
          const allowed = typeof name === 'string' && name.toLowerCase() === ALLOWED_CALL.toLowerCase();
          if (ran.some((call) => call !== ALLOWED_CALL) || (ran.length > 0 && !allowed)) {
            throw new Error(`The name ${safeInspect(name)} ran ${ran.join(', ')}`);
          }
          if (allowed) expect(ran).toEqual([ALLOWED_CALL]);
        }),
        runs,
        EDGES.map((value): [{ value: Recipe }] => [{ value }]),
      );
    },
    timeoutFor(400),
  );
});
