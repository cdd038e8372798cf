import type { Queue, RedisClient } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * The **change log** of a queue: BullMQ's own event stream (`bull:<queue>:events`, which QueueEvents reads), where
 * every change to a job the re-check cares about is written in the same atomic step as the change itself. BullMQ
 * writes a job's begin (`active`), progress and end (`completed`, `failed`); the two changes it has no event for are
 * written here, each by one script with its event: a cancel's end claim (`wbj:cancel`, which also asks the instance
 * running the job to stop it) and a message (`wbj:message`; BullMQ's `job.log` writes none). So the re-check reads
 * what changed since its last look, instead of looking at every job it holds.
 */

/** The custom event of a cancel's end claim: it asks the instance running the job to stop it. */
export const CANCEL_EVENT = 'wbj:cancel';

/** Events read by one XRANGE at the most. */
const PAGE = 1000;

/** The stream's length as BullMQ trims it (its queue's `streams.events.maxLen`, stored in the queue's meta hash). */
export const MAX_EVENTS = `local maxEvents = tonumber(redis.call('HGET', KEYS[#KEYS], 'opts.maxLenEvents')) or 10000`;

/** KEYS: the job's end claim, the events stream, the queue's meta. ARGV: the claim, the job id. 1 if claimed. */
const CLAIM_CANCEL = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
${MAX_EVENTS}
redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxEvents, '*', 'event', '${CANCEL_EVENT}', 'jobId', ARGV[2])
return 1`;

/** KEYS: the job's hash, its logs, the events stream, the queue's meta. ARGV: the line, the job id. -1: no job. */
const STORE_MESSAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('RPUSH', KEYS[2], ARGV[1])
${MAX_EVENTS}
redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxEvents, '*', 'event', 'wbj:message', 'jobId', ARGV[2])
return 1`;

/**
 * Where the change log is now: its last event's id. An absent stream (a new queue, FLUSHDB, a restart without
 * persistence) gets a first event of ours, so that the next look can tell whether it vanished again.
 * KEYS: the events stream.
 */
const CHANGE_LOG_NOW = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then return last[1] end
return redis.call('XADD', KEYS[1], '*', 'event', 'wbj:mark')`;

/** A connection taught the change log's scripts by {@link withChangeLog}. */
export interface ChangeLogClient extends Redis {
  wbjClaimCancel(
    claimKey: string,
    events: string,
    meta: string,
    claim: string,
    jobId: string,
  ): Promise<number>;
}

/** A pipeline on a {@link ChangeLogClient}. */
type ChangeLogPipeline = ChainableCommander & { wbjChangeLogNow(events: string): ChangeLogPipeline };

/** Teaches `redis` the change log's scripts once, so that each call sends its SHA, not the script. */
export function withChangeLog<R extends Redis>(redis: R): R & ChangeLogClient {
  redis.defineCommand('wbjClaimCancel', { numberOfKeys: 3, lua: CLAIM_CANCEL });
  redis.defineCommand('wbjChangeLogNow', { numberOfKeys: 1, lua: CHANGE_LOG_NOW });
  return redis as R & ChangeLogClient;
}

/** A queue's keys, as BullMQ names them (`queue.keys`): the change log is its `events`, its length in `meta`. */
type QueueKeys = Queue['keys'];

/** Claims a job's end for a cancel (`SET NX`) and writes its event with it; whether the cancel claimed it. */
export async function claimCancel(
  redis: ChangeLogClient,
  keys: QueueKeys,
  claimKey: string,
  claim: string,
  jobId: string,
): Promise<boolean> {
  return (await redis.wbjClaimCancel(claimKey, keys.events!, keys.meta!, claim, jobId)) === 1;
}

const STORE_MESSAGE_COMMAND = 'wbjStoreMessage';

/** Teaches `client` (a worker's connection) {@link storeMessage}. */
export function withStoreMessage(client: RedisClient): RedisClient {
  client.defineCommand(STORE_MESSAGE_COMMAND, { numberOfKeys: 4, lua: STORE_MESSAGE });
  return client;
}

/** Appends a message line to a job's BullMQ log, as `job.log` does, and writes its event with it. */
export async function storeMessage(
  client: RedisClient,
  keys: QueueKeys,
  jobKey: string,
  line: string,
  jobId: string,
): Promise<void> {
  const keysAndArgs = [jobKey, `${jobKey}:logs`, keys.events!, keys.meta!, line, jobId];
  const stored = (await client.runCommand(STORE_MESSAGE_COMMAND, keysAndArgs)) as number;
  if (stored < 0) throw new Error(`the record of job ${jobId} is gone from Redis`);
}

/**
 * Queues on `pipeline` the head of a look: with `since`, the first page {@link changesSince} reads; without, where the
 * change log is now, read before the look so that what changes during it is read on the next one.
 */
export function queueChangeLog(
  pipeline: ChainableCommander,
  keys: QueueKeys,
  since: string | undefined,
): void {
  if (since === undefined) (pipeline as ChangeLogPipeline).wbjChangeLogNow(keys.events!);
  else pipeline.xrange(keys.events!, since, '+', 'COUNT', PAGE);
}

/** A page of the change log, as XRANGE replies. */
export type LogPage = [id: string, fields: string[]][];

/** What the change log says happened since a look. */
export interface Changes {
  /** The jobs it names. */
  readonly ids: Set<string>;
  /** Its last event's id: where the next look starts. */
  readonly last: string;
}

/**
 * Reads the events from `since` on, given the first page (see {@link queueChangeLog}, sent with other commands in one
 * round trip), and more pages while they are full. `undefined` when `since` itself is gone: the stream was trimmed
 * past it or vanished, and what changed is unknown.
 */
export async function changesSince(
  redis: Redis,
  keys: QueueKeys,
  since: string,
  firstPage: LogPage,
): Promise<Changes | undefined> {
  if (firstPage[0]?.[0] !== since) return undefined;
  const ids = new Set<string>();
  let page = firstPage;
  let last = since;
  for (;;) {
    for (const [id, fields] of page) {
      last = id;
      const at = fields.indexOf('jobId');
      if (at >= 0 && at % 2 === 0) ids.add(fields[at + 1]!);
    }
    if (page.length < PAGE) return { ids, last };
    page = await redis.xrange(keys.events!, `(${last}`, '+', 'COUNT', PAGE);
  }
}
