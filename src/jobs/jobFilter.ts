import { validate as isUuid } from 'uuid';
import { ALIASES, type AliasMembers, englishName } from '../compat/aliases';
import { choiceNamed } from '../compat/choiceNamed';
import { typoHint } from '../didYouMean';
import { BackgroundJobsError, checkArgument, describeValue } from '../errors';
import { ScheduledJob } from '../schedules/ScheduledJob';
import type { BackgroundJobState } from './BackgroundJobState';

/** The job fields a filter can match, each by equality. */
interface FilterFields {
  uuid: string;
  key: string;
  /** Compared case-insensitively, as method names resolve. */
  methodName: string;
  description: string;
  /** One state, or an array of them: any of them matches (БСП passes `Новый Массив` of states). */
  state: BackgroundJobState | readonly BackgroundJobState[];
  begin: Date;
  end: Date;
  /** A scheduled job or its UUID: matches its runs. */
  scheduledJob: ScheduledJob | string;
  /** execute's `owner`, matched exactly. */
  owner: string;
}

const FILTER_KEYS = [
  'uuid',
  'key',
  'methodName',
  'description',
  'state',
  'begin',
  'end',
  'scheduledJob',
  'owner',
] as const;

/**
 * Filter of `getBackgroundJobs`: every given field must match; a field set to `undefined` is left out. Keys by English or 1C name
 * (`{ Ключ: 'K1', Состояние: BackgroundJobState.Активно }`).
 */
export type BackgroundJobFilter = Partial<
  FilterFields & AliasMembers<FilterFields, Pick<typeof ALIASES.job, keyof FilterFields>>
>;

/**
 * What a filter reads of a job: a `BackgroundJob` has it, and so has a store's summary of one, so that a store
 * tests its jobs' small fields before it reads any job in full.
 */
export interface FilterableJob {
  readonly uuid: string;
  readonly key: string;
  readonly methodName: string;
  readonly description: string;
  readonly state: BackgroundJobState;
  readonly begin: Date | undefined;
  readonly end: Date | undefined;
  readonly scheduledJob: { readonly uuid: string } | undefined;
  readonly owner: string | undefined;
}

/** The test a compiled filter is. */
export type JobTest = (job: FilterableJob) => boolean;

/** Validates a filter once and returns the test each job must pass. */
export function compileFilter(filter: unknown): JobTest {
  return compileTests(filter, 'getBackgroundJobs(filter) takes an object of job fields', testFor);
}

/**
 * Validates a filter object once: each given key becomes a test from `testFor` (which refuses unknown keys and
 * values of the wrong type), and an item must pass them all. `usage` says what the filter takes, for the error.
 */
export function compileTests<T>(
  filter: unknown,
  usage: string,
  testFor: (name: string, expected: unknown) => (item: T) => boolean,
): (item: T) => boolean {
  if (filter === undefined || filter === null) return () => true;
  // A getter that throws, a revoked or hostile Proxy: a filter that cannot be read is the caller's error too.
  const tests = checkArgument(usage, filter, () => {
    if (typeof filter !== 'object' || Array.isArray(filter)) {
      throw new BackgroundJobsError('WBJ_BAD_ARGUMENT', `${usage}, got ${describeValue(filter)}`);
    }
    // A key given as undefined is left out, so optional inputs (query parameters…) can be passed straight through.
    return Object.entries(filter)
      .filter(([, expected]) => expected !== undefined)
      .map(([name, expected]) => testFor(name, expected));
  });
  return (item) => tests.every((test) => test(item));
}

function testFor(name: string, expected: unknown): JobTest {
  const field = englishName(ALIASES.job, name);
  if (field === undefined || !(FILTER_KEYS as readonly string[]).includes(field)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Unknown filter key ${JSON.stringify(name)}${typoHint(name, filterNames(ALIASES.job, FILTER_KEYS))}; expected one of ${FILTER_KEYS.join(', ')} or their 1C names`,
    );
  }
  const bad = (expectedForm: string) =>
    new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Filter key ${JSON.stringify(name)} must be ${expectedForm}, got ${describeValue(expected)}`,
    );
  switch (field) {
    case 'begin':
    case 'end': {
      if (!(expected instanceof Date) || Number.isNaN(expected.getTime())) throw bad('a valid Date');
      const time = expected.getTime();
      return (job) => job[field]?.getTime() === time;
    }
    case 'state': {
      const states = checkStates(name, expected);
      return (job) => states.includes(job.state);
    }
    case 'methodName': {
      if (typeof expected !== 'string') throw bad('a string');
      const lower = expected.toLowerCase();
      return (job) => job.methodName.toLowerCase() === lower;
    }
    case 'scheduledJob': {
      // Copies of one scheduled job are different objects: its UUID says which it is.
      const uuid = expected instanceof ScheduledJob ? expected.uuid : expected;
      if (typeof uuid !== 'string' || !isUuid(uuid))
        throw bad('a ScheduledJob (from manager.scheduledJobs) or its UUID');
      const lower = uuid.toLowerCase();
      return (job) => job.scheduledJob?.uuid === lower;
    }
    default:
      if (typeof expected !== 'string') throw bad('a string');
      return (job) => job[field as 'uuid' | 'key' | 'description' | 'owner'] === expected;
  }
}

/** A filter's keys by English and 1C name: what a misspelt key may have meant. */
export function filterNames(
  aliases: Readonly<Record<string, readonly string[]>>,
  keys: readonly string[],
): string[] {
  return keys.flatMap((key) => [key, ...(aliases[key] ?? [])]);
}

const STATES = Object.keys(ALIASES.state) as BackgroundJobState[];

/** Every name a state goes by: what a misspelt one may have meant. */
const STATE_NAMES = filterNames(ALIASES.state, STATES);

/**
 * A filter's state, or its array of states, as the list of states any of which matches. A state is named in any
 * case, by its value or its 1C name (`active`, `Активно`), as the dashboard's `?state=` and web.config's choices are.
 */
function checkStates(name: string, expected: unknown): readonly BackgroundJobState[] {
  const refuse = (what: string) =>
    new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Filter key ${JSON.stringify(name)} must be a BackgroundJobState (${STATES.join(', ')}) in any case or by its 1C name (${STATES.flatMap((state) => ALIASES.state[state]).join(', ')}), or a non-empty array of them; ${what}`,
    );
  const stateOf = (given: unknown, what: string): BackgroundJobState => {
    const state = typeof given === 'string' ? choiceNamed(given, STATES, ALIASES.state) : undefined;
    if (state === undefined)
      throw refuse(what + (typeof given === 'string' ? typoHint(given, STATE_NAMES) : ''));
    return state;
  };
  if (!Array.isArray(expected)) return [stateOf(expected, `got ${describeValue(expected)}`)];
  // 1C would match no job: an empty list is a mistake in the caller's code, not a wish for an empty answer.
  if (expected.length === 0) throw refuse('got an empty array');
  // for…of, not map(): a hole is refused at once, instead of walking a sparse array of length 2^32 − 1.
  const states: BackgroundJobState[] = [];
  for (const [index, state] of expected.entries()) {
    states.push(stateOf(state, `item [${index}] is ${describeValue(state)}`));
  }
  return states;
}
