import type { RedisClient } from 'bullmq';

/**
 * Holds a job's BullMQ lock for the worker running it, and optionally claims the job's end for it (see endClaim.ts), in
 * one atomic step.
 *
 * BullMQ's worker renews its locks; a lock that lapses (its worker stopped answering past `jobsLostWorkerSeconds`)
 * lets the stalled-job check give the job up: it moves the job back to waiting with a "deferred failure" (`defa`),
 * and the next worker to take it fails it with that reason. A worker cut off from Redis that long is alive all the
 * same, and once Redis is back this takes its lock again if the check has not given the job up yet; if it has, the
 * deferred failure is replaced with `givenUpMark`, so that the job fails saying what happened.
 *
 * KEYS: the job's hash, its lock, the queue's stalled set, the job's end claim.
 * ARGV: lock token, lock ms, job id, `givenUpMark`, end claim TTL ms (`''`: hold the lock only).
 */
const HOLD = `
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 0 then return 'vanished' end
local lock = rcall('GET', KEYS[2])
if lock ~= ARGV[1] then
  local finished = rcall('HEXISTS', KEYS[1], 'finishedOn') == 1
  local deferred = rcall('HGET', KEYS[1], 'defa')
  if lock or finished or deferred then
    -- Given up, and waiting to be failed: with our reason, unless it has one of ours (a JSON mark) already.
    if ARGV[4] ~= '' and not lock and not finished and string.sub(deferred, 1, 1) ~= '{' then
      rcall('HSET', KEYS[1], 'defa', ARGV[4])
    end
    return 'given up'
  end
  rcall('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  rcall('SREM', KEYS[3], ARGV[3])
end
if ARGV[5] == '' then return 'held' end
if rcall('SET', KEYS[4], 'finished', 'PX', ARGV[5], 'NX') then return 'finished' end
return rcall('GET', KEYS[4])`;

/** The keys and facts {@link holdJob} works on. */
export interface JobLock {
  readonly jobKey: string;
  readonly stalledKey: string;
  readonly endClaimKey: string;
  readonly jobId: string;
  readonly token: string;
  readonly lockMs: number;
  /** The `failedReason` the job gets if BullMQ has given it up already (`''`: BullMQ's own). */
  readonly givenUpMark: string;
}

const COMMAND = 'wbjHoldJob';

/** Teaches `client` (the worker's own connection, where BullMQ stores the job's end next) {@link holdJob}. */
export function withHoldJob(client: RedisClient): RedisClient {
  client.defineCommand(COMMAND, { numberOfKeys: 4, lua: HOLD });
  return client;
}

/**
 * `held` (the lock is this worker's, again if it had lapsed), `given up` (BullMQ gave the job up), `vanished` (its
 * record is gone), or, with `claimTtlMs`: `finished` (this worker claimed the job's end) or the claim a cancel made
 * first. Sent again after a lost connection, it finds its own claim: `finished`.
 */
export async function holdJob(client: RedisClient, lock: JobLock, claimTtlMs?: number): Promise<string> {
  const keys = [lock.jobKey, `${lock.jobKey}:lock`, lock.stalledKey, lock.endClaimKey];
  const args = [lock.token, lock.lockMs, lock.jobId, lock.givenUpMark, claimTtlMs ?? ''];
  return (await client.runCommand(COMMAND, [...keys, ...args])) as string;
}
