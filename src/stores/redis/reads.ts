import type { ChainableCommander, Redis } from 'ioredis';
import type { JobHeader, StoredJob } from './record';

/**
 * Reads jobs of this library, never their BullMQ `data` (whose params may be large): for each job, the small
 * fields of BullMQ's job hash (its `name` holds our header), its return value, how many log entries (our user
 * messages) it has with those asked for, and its end claim (see endClaim.ts). A summary cuts a return value to the end our worker
 * stores at its start, so the result does not leave Redis, and reads no log entry. A job's `data` is read only
 * when its `name` is not our header: a record written by an older version of this library.
 *
 * KEYS[1]: the queue's key prefix (`bull:<queue>:`). ARGV[1]: `full` or `summary`; then, for each job, its id
 * and the first and last log entry to read (LRANGE indexes). Returns, for each job, `false` when it is gone, or
 * `{ name, processedOn, finishedOn, failedReason, progress, returnvalue, logCount, logs, endClaim, data,
 * attemptsStarted, attemptsMade, stacktrace }` (the stacktrace only when an attempt failed before the last one).
 */
const READ_JOBS = `
local prefix = KEYS[1]
local full = ARGV[1] == 'full'
local jobs = {}
for at = 2, #ARGV, 3 do
  local key = prefix .. ARGV[at]
  local f = redis.call('HMGET', key, 'name', 'processedOn', 'finishedOn', 'failedReason', 'progress', 'returnvalue',
    'ats', 'atm')
  if f[1] then
    local returned = f[6]
    if returned and not full then
      local facts = string.match(returned, '^{"end":%d+')
      returned = facts and (facts .. '}') or false
    end
    local logs = key .. ':logs'
    local entries = {}
    if full then entries = redis.call('LRANGE', logs, ARGV[at + 1], ARGV[at + 2]) end
    local data = false
    if string.sub(f[1], 1, 1) ~= '{' then data = redis.call('HGET', key, 'data') end
    -- BullMQ keeps each failure's stack, ours an attempt's errorInfo: read for a job retried after one only.
    local stacks = false
    if (tonumber(f[8]) or 0) > (f[3] and 1 or 0) then stacks = redis.call('HGET', key, 'stacktrace') end
    jobs[#jobs + 1] = { f[1], f[2], f[3], f[4], f[5], returned, redis.call('LLEN', logs), entries,
      redis.call('GET', prefix .. 'wbj-decision:' .. ARGV[at]), data, f[7], f[8], stacks }
  else
    jobs[#jobs + 1] = false
  end
end
return jobs
`;

const COMMAND = 'wbjReadJobs';

/** A connection taught {@link READ_JOBS} by {@link withReadJobs}. */
export interface ReadJobsClient extends Redis {
  wbjReadJobs(prefix: string, mode: 'full' | 'summary', ...jobs: (string | number)[]): Promise<unknown>;
}

/**
 * Teaches `redis` the read script once, so each read sends its SHA, not the script (ioredis loads it again if Redis
 * has lost it), as the worker's connection is taught its lock script.
 */
export function withReadJobs(redis: Redis): ReadJobsClient {
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: READ_JOBS });
  return redis as ReadJobsClient;
}

/** Jobs read by one script call at the most, so that a long history does not hold Redis up in one piece. */
const JOBS_PER_CALL = 500;

/** One job to read, with the log entries wanted: LRANGE indexes, negative ones counted back from the newest. */
export interface JobRead {
  readonly id: string;
  readonly firstLog: number;
  readonly lastLog: number;
}

type Reply = [
  name: string,
  processedOn: string | null,
  finishedOn: string | null,
  failedReason: string | null,
  progress: string | null,
  returnvalue: string | null,
  logCount: number,
  logs: string[],
  endClaim: string | null,
  data: string | null,
  attemptsStarted: string | null,
  attemptsMade: string | null,
  stacktrace: string | null,
];

/**
 * The jobs asked for that still exist, in the order asked, in one round trip: `full` with their return values and
 * the log entries asked for; `summary` with neither (a completed job's return value then holds its end alone).
 */
export async function readJobs(
  redis: ReadJobsClient,
  prefix: string,
  reads: readonly JobRead[],
  mode: 'full' | 'summary',
): Promise<StoredJob[]> {
  const calls: Promise<unknown>[] = [];
  for (let from = 0; from < reads.length; from += JOBS_PER_CALL) {
    const args = reads
      .slice(from, from + JOBS_PER_CALL)
      .flatMap(({ id, firstLog, lastLog }) => [id, firstLog, lastLog]);
    calls.push(redis.wbjReadJobs(prefix, mode, ...args));
  }
  const replies = (await Promise.all(calls)).flat() as (Reply | null)[];
  const stored: StoredJob[] = [];
  replies.forEach((reply, index) => {
    if (reply === null) return; // removed from history meanwhile
    const [
      name,
      processedOn,
      finishedOn,
      failedReason,
      progress,
      returnvalue,
      logCount,
      logs,
      endClaim,
      data,
      attemptsStarted,
      attemptsMade,
      stacktrace,
    ] = reply;
    const { id, firstLog } = reads[index]!;
    stored.push({
      id,
      header: JSON.parse(name.startsWith('{') ? name : data!) as JobHeader,
      fields: {
        processedOn: processedOn ?? undefined,
        finishedOn: finishedOn ?? undefined,
        failedReason: failedReason ?? undefined,
        progress: progress ?? undefined,
        returnvalue: returnvalue ?? undefined,
        attemptsStarted: attemptsStarted ?? undefined,
        attemptsMade: attemptsMade ?? undefined,
        stacktrace: stacktrace ?? undefined,
      },
      logCount,
      logs,
      logsFrom: firstLog < 0 ? Math.max(0, logCount + firstLog) : firstLog,
      endClaim,
    });
  });
  return stored;
}

/** A pipelined command's reply: its error, or its value. */
export type PipelineReply = [error: Error | null, value: unknown];

/**
 * Sends the commands `queue` adds for each job in one round trip, and returns each job's replies in the order asked:
 * the one loop behind every look at a few small keys of many jobs.
 */
export async function pipelinePerJob(
  redis: Redis,
  ids: readonly string[],
  queue: (pipeline: ChainableCommander, id: string) => void,
): Promise<PipelineReply[][]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  const starts = ids.map((id) => {
    const start = pipeline.length;
    queue(pipeline, id);
    return start;
  });
  const replies = ((await pipeline.exec()) ?? []) as PipelineReply[];
  return starts.map((start, index) => replies.slice(start, starts[index + 1] ?? replies.length));
}
