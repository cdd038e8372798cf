/**
 * A job's **end claim**: how a cancel and the job's worker agree on who ends a job held in Redis. BullMQ cannot cancel
 * a job that is waiting or held by another process, so each side sets one key per job with `SET NX`, and the first
 * to set it ends the job; the other one yields. The key holds `canceled:<ms>` (a cancel, and when it was made) or
 * `finished` (the worker is storing how the job ended). Its Redis name, `wbj-decision:<uuid>`, is read by instances of
 * every version of this library and stays as it is.
 *
 * A cancel's claim also marks the job's `data` (see {@link markCanceled}), which BullMQ hands the worker with the job
 * in the same step that makes it active: a worker learns of a cancel made while the job was queued with no read of its
 * own, and a cancel made once the job is active is a cancel of a running job. The worker claims its end where BullMQ
 * stores it (see finishClaim.ts).
 */

/** What a worker's claim holds. */
export const FINISHED_CLAIM = 'finished';

/** How long a job's end claim outlives the job: a cancel arriving later finds the job finished anyway. */
export const END_CLAIM_TTL_MS = 60_000;

const CANCELED = 'canceled:';

/** The end claim key of job `uuid`, under the queue's key prefix (`bull:<queue>:`), as the read script builds it. */
export function endClaimKey(keyPrefix: string, uuid: string): string {
  return `${keyPrefix}wbj-decision:${uuid}`;
}

/** What a cancel's claim holds. */
export function cancelClaim(at: number): string {
  return `${CANCELED}${at}`;
}

/** When a cancel claimed the job's end (ms since the epoch); `undefined` if there is no claim, or the worker's. */
export function canceledAt(claim: string | null | undefined): number | undefined {
  return claim?.startsWith(CANCELED) ? Number(claim.slice(CANCELED.length)) : undefined;
}

/**
 * Lua, in a cancel's claim script: marks the `data` of the job whose hash is `jobKey` with `"canceledAt":<at>`, unless
 * it has finished (or is gone). The JSON text is edited, not decoded and encoded again: cjson would change the params'
 * numbers. `jobKey` and `at` are Lua expressions.
 */
export function markCanceled(jobKey: string, at: string): string {
  return `
do
  local data = redis.call('HGET', ${jobKey}, 'data')
  if data and string.sub(data, 1, 1) == '{' and redis.call('HEXISTS', ${jobKey}, 'finishedOn') == 0 then
    local rest = string.sub(data, 2)
    if not string.find(rest, '^%s*}') then rest = ',' .. rest end
    redis.call('HSET', ${jobKey}, 'data', '{"canceledAt":' .. ${at} .. rest)
  end
end`;
}
