import type { BackgroundJob } from '../../jobs/BackgroundJob';
import type { ErrorInfo } from '../../jobs/errorInfo';
import type { RedisConnection } from './connection';
import type { Followed } from './followedJob';
import { attemptErrorsOf, type JobHeader, parsed } from './record';

/** The job objects of this process for a job: the local job handed to callers, and the running job of its worker. */
export interface HeldJobs {
  local(uuid: string): BackgroundJob | undefined;
  running(uuid: string): BackgroundJob | undefined;
}

/**
 * When the job began (ms), as its record says: known to a job object here, else read once (the stream's time of
 * its `active` event is Redis's clock, not the worker's, which `begin` is everywhere else).
 */
export async function readBegin(
  { redis, queue }: RedisConnection,
  held: HeldJobs,
  jobId: string,
  followed: Followed,
): Promise<number | undefined> {
  if (followed.begin !== undefined) return followed.begin;
  // A local job may still have the begin of a hand-over that was handed straight back: read again then.
  const local = followed.handBacks === 0 ? held.local(jobId) : undefined;
  const begin = (held.running(jobId) ?? local)?.begin;
  if (begin !== undefined) return (followed.begin = begin.getTime());
  const processedOn = await redis.hget(queue.toKey(jobId), 'processedOn').catch(() => null);
  return processedOn ? (followed.begin = Number(processedOn)) : undefined;
}

/** The attempt of a job that began last, read once from its record (BullMQ's attempts started) when not known here. */
export async function readAttempt(
  { redis, queue }: RedisConnection,
  jobId: string,
  followed: Followed,
  attempt: number,
): Promise<number> {
  if (followed.attemptKnown) return attempt;
  followed.attemptKnown = true;
  const started = Number(await redis.hget(queue.toKey(jobId), 'ats').catch(() => null));
  return (followed.attempt = Math.max(followed.attempt, started || 0));
}

/**
 * The errorInfo of each failed attempt of a job, from its record's stack traces: `failed` of them, else as many as
 * the record says were made. Empty when the record is gone.
 */
export async function readAttemptErrors(
  { redis, queue }: RedisConnection,
  jobId: string,
  followed: Followed,
  failed: number | undefined,
  handlersPath: string,
): Promise<ErrorInfo[]> {
  const [stacks, made] = await redis.hmget(queue.toKey(jobId), 'stacktrace', 'attemptsMade').catch(() => []);
  return attemptErrorsOf(jobId, parsed(stacks), failed ?? Number(made ?? followed.attempt), handlersPath);
}

/** The header of a job first heard after its `added` event; a failed read leaves the event untold. */
export async function readHeader(
  { redis, queue }: RedisConnection,
  jobId: string,
): Promise<JobHeader | undefined> {
  const name = await redis.hget(queue.toKey(jobId), 'name').catch(() => null);
  return name === null ? undefined : headerOf(name);
}

/** The header a job's BullMQ `name` holds; `undefined` for a job of another producer on the same queue. */
export function headerOf(name: string): JobHeader | undefined {
  const header = parsed(name) as JobHeader | null | undefined;
  return typeof header?.methodName === 'string' ? header : undefined;
}
