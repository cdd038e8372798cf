import { ALIASES, type AliasMembers, englishName } from '../compat/aliases';
import { BackgroundJobsError, describeValue } from '../errors';
import { typoHint } from '../didYouMean';
import { compileTests, filterNames } from '../jobs/jobFilter';
import type { ScheduledJobData } from './scheduledJobData';

/**
 * The filter of `scheduledJobs.get()`, compiled once into a test of a scheduled job's data: built as the filter of
 * `getBackgroundJobs()` is (jobs/jobFilter.ts), over the fields a scheduled job is found by.
 */

/** The scheduled-job fields a filter can match, each by equality (names case-insensitively). */
interface FilterFields {
  uuid: string;
  name: string;
  methodName: string;
  key: string;
  description: string;
  use: boolean;
  predefined: boolean;
  /** The declaration's name: a predefined job and those made from it by `create(metadataName)`. */
  metadata: string;
}

const FILTER_KEYS = [
  'uuid',
  'name',
  'methodName',
  'key',
  'description',
  'use',
  'predefined',
  'metadata',
] as const;
/** Filter keys compared whatever their case, as the names they hold resolve. */
const CASELESS_KEYS: readonly string[] = ['uuid', 'name', 'methodName', 'metadata'];

/** Filter of `scheduledJobs.get()`: every given field must match. Keys by English or 1C name (`{ Использование: true }`). */
export type ScheduledJobFilter = Partial<
  FilterFields & AliasMembers<FilterFields, Pick<typeof ALIASES.scheduledJob, keyof FilterFields>>
>;

/**
 * The test of `filter`; every key and value is checked here, before any job is read.
 * @throws BackgroundJobsError `WBJ_BAD_ARGUMENT` for an unknown filter key or a value of the wrong type.
 */
export function compileScheduledJobFilter(filter: unknown): (data: ScheduledJobData) => boolean {
  return compileTests(filter, 'scheduledJobs.get(filter) takes an object of scheduled-job fields', testFor);
}

function testFor(name: string, expected: unknown): (data: ScheduledJobData) => boolean {
  const field = englishName(ALIASES.scheduledJob, name);
  if (field === undefined || !(FILTER_KEYS as readonly string[]).includes(field)) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Unknown scheduled-job filter key ${JSON.stringify(name)}${typoHint(name, filterNames(ALIASES.scheduledJob, FILTER_KEYS))}; expected one of ${FILTER_KEYS.join(', ')} or their 1C names`,
    );
  }
  const kind = field === 'use' || field === 'predefined' ? 'boolean' : 'string';
  if (typeof expected !== kind) {
    throw new BackgroundJobsError(
      'WBJ_BAD_ARGUMENT',
      `Scheduled-job filter key ${JSON.stringify(name)} must be a ${kind}, got ${describeValue(expected)}`,
    );
  }
  const caseless = CASELESS_KEYS.includes(field);
  const wanted = caseless ? String(expected).toLowerCase() : expected;
  return (data) => {
    const value = data[field as keyof FilterFields];
    // A job of no declaration has no metadata: no name matches it.
    return value !== undefined && (caseless ? String(value).toLowerCase() : value) === wanted;
  };
}
