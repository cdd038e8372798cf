import type { Request } from 'express';
import { BackgroundJobsError, describeValue } from '../../errors';
import type { MessagePage } from '../../stores/JobStore';

/** Query parameters of `GET /api/jobs` that become `getBackgroundJobs` filters (`scheduledJob` by its UUID). */
const FILTER_PARAMETERS = [
  'uuid',
  'key',
  'methodName',
  'description',
  'state',
  'scheduledJob',
  'owner',
] as const;
const PAGE_PARAMETERS = ['offset', 'limit', 'q'];
const MAX_LIMIT = 500;
/** Query parameters of `GET /api/jobs/:uuid`: which of the job's messages it answers, counted from the newest. */
const MESSAGE_PARAMETERS = ['messagesOffset', 'messagesLimit'];
const MAX_MESSAGES_LIMIT = 1000;
export const DEFAULT_MESSAGE_PAGE: MessagePage = { offset: 0, limit: 100 };

/** Refuses a query parameter that is not one of `names` (or `lang`), or that is given more than once. */
export function checkQuery(query: Request['query'], names: readonly string[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!names.includes(name) && name !== 'lang') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `Unknown query parameter ${JSON.stringify(name)}; expected ${names.length === 0 ? 'none but lang' : names.join(', ')}`,
      );
    }
    if (typeof value !== 'string') {
      throw new BackgroundJobsError(
        'WBJ_BAD_ARGUMENT',
        `The query parameter ${JSON.stringify(name)} must be given once, as text; got ${describeValue(value)}`,
      );
    }
  }
}

export function readMessagePage(query: Request['query']): MessagePage {
  checkQuery(query, MESSAGE_PARAMETERS);
  return {
    offset: count(
      query.messagesOffset,
      'messagesOffset',
      0,
      Number.MAX_SAFE_INTEGER,
      DEFAULT_MESSAGE_PAGE.offset,
    ),
    limit: count(query.messagesLimit, 'messagesLimit', 1, MAX_MESSAGES_LIMIT, DEFAULT_MESSAGE_PAGE.limit),
  };
}

export function readListQuery(query: Request['query']) {
  checkQuery(query, [...FILTER_PARAMETERS, ...PAGE_PARAMETERS]);
  const filter: Record<string, string> = {};
  for (const name of FILTER_PARAMETERS) {
    if (query[name] !== undefined) filter[name] = query[name] as string;
  }
  return {
    filter,
    offset: count(query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
    limit: count(query.limit, 'limit', 1, MAX_LIMIT, 50),
    text: ((query.q as string | undefined) ?? '').trim().toLowerCase(),
  };
}

function count(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max) {
    return Number(value);
  }
  throw new BackgroundJobsError(
    'WBJ_BAD_ARGUMENT',
    `The query parameter ${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
  );
}
