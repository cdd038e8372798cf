import type { Queue, RedisClient } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { markCanceled } from './endClaim';

/**
 * The **change log** of a queue: BullMQ's own event stream (`bull:<queue>:events`, which QueueEvents reads), where
 * every change to a job the re-check cares about is written in the same atomic step as the change itself. BullMQ
 * writes a job's begin (`active`), progress and end (`completed`, `failed`); the two changes it has no event for are
 * written here, each by one script with its event: a cancel's end claim (`wbj:cancel`, which also asks the instance
 * running the job to stop it) and a message (`wbj:message`; BullMQ's `job.log` writes none). A third tells the
 * instances that a job BullMQ said began never did (`wbj:handBack`). So the re-check reads
 * what changed since its last look, instead of looking at every job it holds.
 */

/** The custom event of a cancel's end claim: it asks the instance running the job to stop it. */
export const CANCEL_EVENT = 'wbj:cancel';

/**
 * The custom event of a message, with its place in the job's log (not the message: every instance reads the stream,
 * and only one that tells `message` events reads the line).
 */
export const MESSAGE_EVENT = 'wbj:message';

/** The custom event of a job a closing worker hands straight back to the queue: its `active` event was no begin. */
export const HAND_BACK_EVENT = 'wbj:handBack';

/** Events read by one XRANGE at the most. */
const PAGE = 1000;

/** The stream's length as BullMQ trims it (its queue's `streams.events.maxLen`, stored in the queue's meta hash). */
export const MAX_EVENTS = `local maxEvents = tonumber(redis.call('HGET', KEYS[#KEYS], 'opts.maxLenEvents')) or 10000`;

/**
 * The job's data is marked cancelled for the worker that takes it (see endClaim.ts).
 * A job waiting in BullMQ's delayed set (for its start, or its next attempt) is ended at once, in the same step: it
 * leaves the set for the failed one with the cancel mark, as BullMQ fails a job (the attempt it waited for counts as
 * ended, BullMQ's atm), its end event is written, and its claim expires with it as a worker's would.
 * KEYS: the job's end claim, the delayed set, the failed set, the job's hash, the events stream, the queue's meta.
 * ARGV: the claim, the job id, now (ms), the cancel mark, the claim's TTL (ms). 0: claimed already; 1 if claimed;
 * 2 if claimed and ended here.
 */
const CLAIM_CANCEL = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
${MAX_EVENTS}
redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxEvents, '*', 'event', '${CANCEL_EVENT}', 'jobId', ARGV[2])
${markCanceled('KEYS[4]', 'ARGV[3]')}
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 1 end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[4], 'finishedOn', ARGV[3], 'failedReason', ARGV[4])
redis.call('HINCRBY', KEYS[4], 'atm', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxEvents, '*', 'event', 'failed', 'jobId', ARGV[2],
  'failedReason', ARGV[4], 'prev', 'delayed')
return 2`;

/** KEYS: the job's hash, its logs, the events stream, the queue's meta. ARGV: the line, the job id. -1: no job. */
const STORE_MESSAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local count = redis.call('RPUSH', KEYS[2], ARGV[1])
${MAX_EVENTS}
redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxEvents, '*', 'event', '${MESSAGE_EVENT}', 'jobId', ARGV[2], 'index', count - 1)
return 1`;

/**
 * Uncounts the attempt BullMQ counted started for a job it handed over (its `ats`), and writes the hand-back's event,
 * while the job is still the worker's (its lock) and counted started once more than made (so once at most).
 * KEYS: the job's hash, the events stream, the queue's meta. ARGV: the job id, the worker's lock token. 0: not done.
 */
const HAND_BACK = `
if redis.call('GET', KEYS[1] .. ':lock') ~= ARGV[2] then return 0 end
local started, made = unpack(redis.call('HMGET', KEYS[1], 'ats', 'atm'))
if (tonumber(started) or 0) <= (tonumber(made) or 0) then return 0 end
redis.call('HINCRBY', KEYS[1], 'ats', -1)
${MAX_EVENTS}
redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxEvents, '*', 'event', '${HAND_BACK_EVENT}', 'jobId', ARGV[1])
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

/**
 * The jobs the change log names from a place on: read in Redis, so that only their ids cross the wire, not the events
 * (eight a job, the `added` one with the job's header) that QueueEvents has parsed already.
 * KEYS: the events stream. ARGV: where to start (an id, or `(` and an id: after it), how many events at most, `1`
 * when the first event must be the one started from. Returns `false` when it is not (the log lost its place), else
 * how many events were read, the last one's id (`false` when none), then each job id named, once.
 */
const CHANGES_SINCE = `
local events = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
if ARGV[3] == '1' and (events[1] == nil or events[1][1] ~= ARGV[1]) then return false end
local reply = { #events, events[#events] and events[#events][1] or false }
local seen = {}
for _, event in ipairs(events) do
  local fields = event[2]
  for at = 1, #fields, 2 do
    if fields[at] == 'jobId' then
      local id = fields[at + 1]
      if not seen[id] then
        seen[id] = true
        reply[#reply + 1] = id
      end
      break
    end
  end
end
return reply`;

/** A connection taught the change log's scripts by {@link withChangeLog}. */
export interface ChangeLogClient extends Redis {
  wbjClaimCancel(...keysAndArgs: (string | number)[]): Promise<number>;
  wbjHandBack(jobKey: string, events: string, meta: string, jobId: string, token: string): Promise<number>;
  wbjChangesSince(events: string, from: string, count: number, exact: 0 | 1): Promise<ChangesPage>;
}

/** A pipeline on a {@link ChangeLogClient}. */
type ChangeLogPipeline = ChainableCommander & {
  wbjChangeLogNow(events: string): ChangeLogPipeline;
  wbjChangesSince(events: string, from: string, count: number, exact: 0 | 1): ChangeLogPipeline;
};

/** Teaches `redis` the change log's scripts once, so that each call sends its SHA, not the script. */
export function withChangeLog<R extends Redis>(redis: R): R & ChangeLogClient {
  redis.defineCommand('wbjClaimCancel', { numberOfKeys: 6, lua: CLAIM_CANCEL });
  redis.defineCommand('wbjHandBack', { numberOfKeys: 3, lua: HAND_BACK });
  redis.defineCommand('wbjChangeLogNow', { numberOfKeys: 1, lua: CHANGE_LOG_NOW });
  redis.defineCommand('wbjChangesSince', { numberOfKeys: 1, lua: CHANGES_SINCE });
  return redis as R & ChangeLogClient;
}

/** A queue's keys, as BullMQ names them (`queue.keys`): the change log is its `events`, its length in `meta`. */
type QueueKeys = Queue['keys'];

/** What a cancel's claim did: nothing (claimed already), claimed the job's end, or also ended the waiting job. */
export type CancelClaim = 'claimed already' | 'claimed' | 'ended';

/**
 * Claims a job's end for a cancel (`SET NX`) and writes its event with it; a job in BullMQ's delayed set is ended
 * in the same step (`mark`: its cancel mark, `ttlMs`: how long the claim outlives it).
 */
export async function claimCancel(
  redis: ChangeLogClient,
  keys: QueueKeys,
  job: { claimKey: string; jobKey: string; jobId: string },
  claim: { value: string; at: number; mark: string; ttlMs: number },
): Promise<CancelClaim> {
  const keysAndArgs = [job.claimKey, keys.delayed!, keys.failed!, job.jobKey, keys.events!, keys.meta!];
  const args = [claim.value, job.jobId, claim.at, claim.mark, claim.ttlMs];
  const outcome = await redis.wbjClaimCancel(...keysAndArgs, ...args);
  return outcome === 2 ? 'ended' : outcome === 1 ? 'claimed' : 'claimed already';
}

/**
 * Writes that a job BullMQ handed over, its attempt counted started, goes straight back untouched: it never began
 * (the caller then moves it back to wait).
 */
export async function handBack(
  redis: ChangeLogClient,
  keys: QueueKeys,
  jobKey: string,
  jobId: string,
  token: string,
) {
  await redis.wbjHandBack(jobKey, keys.events!, keys.meta!, jobId, token);
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
  const changeLog = pipeline as ChangeLogPipeline;
  if (since === undefined) changeLog.wbjChangeLogNow(keys.events!);
  else changeLog.wbjChangesSince(keys.events!, since, PAGE, 1);
}

/**
 * A page of the change log as {@link CHANGES_SINCE} replies: how many events it read, the last one's id, the job ids
 * they name; `null` when the first event was not the one asked for.
 */
export type ChangesPage = [count: number, last: string | null, ...ids: string[]] | null;

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
  redis: ChangeLogClient,
  keys: QueueKeys,
  firstPage: ChangesPage,
): Promise<Changes | undefined> {
  if (firstPage === null) return undefined;
  const ids = new Set<string>();
  let page = firstPage;
  let last = firstPage[1]!;
  for (;;) {
    const [count, pageLast, ...named] = page;
    for (const id of named) ids.add(id);
    last = pageLast ?? last;
    if (count < PAGE) return { ids, last };
    page = (await redis.wbjChangesSince(keys.events!, `(${last}`, PAGE, 0))!;
  }
}
