import { v5 as uuidV5 } from 'uuid';
import { typoHint } from '../didYouMean';
import { BackgroundJobsError } from '../errors';
import { parseMethodName } from '../jobs/methodName';
import { checkSchedule, SCHEDULE_FIELDS } from '../schedules/checkSchedule';
import { LIST_MAXIMA, NUMBER_FIELDS } from '../schedules/dailyScheduleFields';
import { isFieldError } from '../schedules/fieldError';
import {
  checkParams,
  checkWholeNumber,
  MAX_RESTART_COUNT,
  MAX_RESTART_INTERVAL_SECONDS,
  type ScheduledJobData,
} from '../schedules/scheduledJobData';
import { configError } from './configError';
import type { XmlElement } from './configurationXml';

/** A scheduled job declared in web.config, checked, with the line it stands on. */
export interface ScheduledJobDeclaration {
  readonly data: ScheduledJobData;
  readonly line: number;
}

/** The attributes of `<scheduledJobs><add …/>`: the job's, then its schedule's fields. */
const ATTRIBUTES = [
  'name',
  'method',
  'key',
  'description',
  'use',
  'params',
  'predefined',
  'userName',
  'restartCountOnFailure',
  'restartIntervalOnFailure',
  ...SCHEDULE_FIELDS,
] as const;

/** Declared jobs get the same UUID on every instance and every start: derived from the name in this namespace. */
const DECLARED_NAMESPACE = '5b0d6c55-7f0c-4b8e-9a53-2d8e4c1f6a10';

/**
 * Reads `<configuration><scheduledJobs>`: one `<add name method …/>` per scheduled job. Everything that can be
 * checked without the handlers folder is checked here, so a bad declaration stops start-up with the job's name,
 * the attribute and the line.
 */
export function readScheduledJobs(root: XmlElement, file: string): ScheduledJobDeclaration[] {
  const declarations: ScheduledJobDeclaration[] = [];
  /** Lower-cased name → the declaration holding it. */
  const byName = new Map<string, ScheduledJobDeclaration>();
  const sections = (root.$$ ?? []).filter((element) => element['#name'] === 'scheduledJobs');
  for (const element of sections.flatMap((section) => section.$$ ?? [])) {
    const { line } = element;
    if (element['#name'] !== 'add') {
      throw configError(
        file,
        line,
        `<${element['#name']}> is not allowed inside <scheduledJobs>; declare each scheduled job with <add name="…" method="Module.Method" …/>`,
      );
    }
    const attributes = element.$ ?? {};
    const name = attributes.name?.trim() ?? '';
    const fail = (problem: string): BackgroundJobsError =>
      configError(
        file,
        line,
        `Scheduled job ${name === '' ? '(no name)' : JSON.stringify(name)}: ${problem}`,
      );
    if (name === '')
      throw fail('the name attribute is missing or empty; every scheduled job needs a unique name');
    const unknown = Object.keys(attributes).find(
      (attribute) => !(ATTRIBUTES as readonly string[]).includes(attribute),
    );
    if (unknown !== undefined) {
      throw fail(
        `unknown attribute ${JSON.stringify(unknown)}${typoHint(unknown, ATTRIBUTES)}; expected ${ATTRIBUTES.join(', ')}`,
      );
    }
    const twin = byName.get(name.toLowerCase());
    if (twin !== undefined) {
      throw fail(`the name is used twice (also on line ${twin.line}); names are unique, whatever their case`);
    }
    const declaration = { data: declaredJob(name, attributes, fail), line };
    declarations.push(declaration);
    byName.set(name.toLowerCase(), declaration);
  }
  return declarations;
}

function declaredJob(
  name: string,
  attributes: Record<string, string>,
  fail: (problem: string) => BackgroundJobsError,
): ScheduledJobData {
  const methodName = attributes.method?.trim() ?? '';
  if (methodName === '') throw fail('the method attribute is missing; give "Module.Method" of a handler');
  try {
    parseMethodName(methodName);
  } catch (error) {
    throw fail(`method: ${(error as Error).message}`);
  }
  const use = trueOrFalse(attributes, 'use', fail);
  const predefined = trueOrFalse(attributes, 'predefined', fail);
  let params: readonly unknown[] = [];
  if (attributes.params !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(attributes.params);
    } catch (error) {
      throw fail(
        `params is not JSON (${(error as Error).message}); expected a JSON array such as '["a", 1]'`,
      );
    }
    try {
      params = checkParams(parsed);
    } catch (error) {
      if (isFieldError(error)) throw fail(`params: ${error.message}`);
      throw error;
    }
  }
  const schedule = scheduleAttributes(attributes, fail);
  const [restartCountOnFailure, restartIntervalOnFailure] = (
    [
      ['restartCountOnFailure', MAX_RESTART_COUNT],
      ['restartIntervalOnFailure', MAX_RESTART_INTERVAL_SECONDS],
    ] as const
  ).map(([field, max]) => {
    const text = attributes[field]?.trim() ?? '0';
    try {
      return checkWholeNumber(/^\d+$/.test(text) ? Number(text) : text, field, max);
    } catch (error) {
      if (isFieldError(error)) throw fail(error.message);
      throw error;
    }
  });
  let checked: ScheduledJobData['schedule'];
  try {
    checked = checkSchedule(schedule).schedule;
  } catch (error) {
    if (isFieldError(error)) throw fail(error.message);
    throw error;
  }
  return Object.freeze({
    uuid: uuidV5(name.toLowerCase(), DECLARED_NAMESPACE),
    name,
    methodName,
    key: attributes.key ?? '',
    description: attributes.description ?? '',
    params,
    use,
    schedule: checked,
    // 1C: a declaration is metadata; predefined (the default) also makes the job of it, named as it is.
    predefined,
    metadata: name,
    userName: attributes.userName ?? '',
    restartCountOnFailure,
    restartIntervalOnFailure,
  });
}

/** A boolean attribute, `true` unless given. */
function trueOrFalse(
  attributes: Record<string, string>,
  field: 'use' | 'predefined',
  fail: (problem: string) => BackgroundJobsError,
): boolean {
  const text = (attributes[field] ?? 'true').trim().toLowerCase();
  if (text !== 'true' && text !== 'false')
    throw fail(`${field} must be "true" or "false", got ${JSON.stringify(attributes[field])}`);
  return text === 'true';
}

/**
 * The schedule's attributes as the values checkSchedule takes: numbers and lists parsed, `detailedDailySchedules`
 * as JSON (`'[{"beginTime": "08:00"}, {"beginTime": "20:00"}]'`), the rest (cron, times, dates) as text.
 */
function scheduleAttributes(
  attributes: Record<string, string>,
  fail: (problem: string) => BackgroundJobsError,
): Record<string, unknown> {
  const schedule: Record<string, unknown> = {};
  for (const field of SCHEDULE_FIELDS) {
    const text = attributes[field]?.trim();
    if (text === undefined) continue;
    if ((NUMBER_FIELDS as readonly string[]).includes(field)) {
      schedule[field] = /^-?\d+$/.test(text) ? Number(text) : text;
    } else if (field in LIST_MAXIMA) {
      schedule[field] = numberList(text, field, LIST_MAXIMA[field as keyof typeof LIST_MAXIMA], fail);
    } else if (field === 'detailedDailySchedules') {
      try {
        schedule[field] = JSON.parse(text);
      } catch (error) {
        throw fail(
          `detailedDailySchedules is not JSON (${(error as Error).message}); expected a JSON array such as '[{"beginTime": "08:00"}, {"beginTime": "20:00"}]'`,
        );
      }
    } else {
      schedule[field] = text;
    }
  }
  return schedule;
}

/**
 * `"1,3,5"` or `"1-5"` or both (`"1-3,6"`), as 1C's lists of days and months read. Each number is checked against
 * 1 … `max` before its range is expanded, and repeats count once, so no text can make a list longer than `max`.
 */
function numberList(
  text: string,
  field: string,
  max: number,
  fail: (problem: string) => BackgroundJobsError,
): number[] {
  const numbers = new Set<number>();
  for (const part of text.split(',').map((each) => each.trim())) {
    // Days of the month also count from its end: "-1" is the last (1C: ДеньВМесяце = -1).
    if (field === 'daysOfMonth' && /^-\d+$/.test(part) && Number(part) >= -max) {
      numbers.add(Number(part));
      continue;
    }
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    const [first, last] = [Number(range?.[1]), Number(range?.[2] ?? range?.[1])];
    if (range === null || first < 1 || last > max || last < first) {
      throw fail(
        `${field} must list numbers from 1 to ${max} and ranges of them, such as "1-5" or "1,3,5"; ${JSON.stringify(part)} is not one`,
      );
    }
    for (let value = first; value <= last; value += 1) numbers.add(value);
  }
  return [...numbers];
}
