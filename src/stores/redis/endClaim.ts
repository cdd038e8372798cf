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
 *
 * Beside a worker's claim, and for as long, its **kept end** (`wbj-end:<uuid>`) says how the job ended: a job's end
 * event and its record may both be gone before an instance holding it reads either (BullMQ trims the event stream to
 * `maxLenEvents` and removes a record once `jobsHistorySize` newer jobs ended), and the claim alone says only that the
 * worker stored an end. A separate key, so that instances of older versions, which read the claim as `finished`
 * exactly, read it as they did.
 */

/** What a worker's claim holds. */
export const FINISHED_CLAIM = 'finished';

/** How long a job's end claim outlives the job: a cancel arriving later finds the job finished anyway. */
export const END_CLAIM_TTL_MS = 60_000;

const CANCELED = 'canceled:';

/**
 * The longest end kept whole (bytes of its return value or failure mark): past it, a kept end says how the job ended
 * and when, not its result or error, so that 10,000 jobs ended within a claim's life keep 20 MB at most.
 */
export const END_KEPT_BYTES = 2048;

/** What separates a kept end's target from its JSON: whole, or cut to its times (past {@link END_KEPT_BYTES}). */
const KEPT_WHOLE = ':';
const KEPT_CUT = '~';

/** A job's kept end, read back (see {@link keepEnd}). */
export interface KeptEnd {
  readonly target: 'completed' | 'failed';
  /** Its return value or failure mark when whole, else `{"end":…,"begin":…}` (or `{}`). */
  readonly json: string;
  readonly whole: boolean;
}

/** A kept end as {@link keepEnd} wrote it; `undefined` for none (a worker of an older version, or expired). */
export function keptEnd(value: string | null | undefined): KeptEnd | undefined {
  const match = /^(completed|failed)([:~])/.exec(value ?? '');
  if (match === null) return undefined;
  const [head, target, mark] = match;
  return { target: target as KeptEnd['target'], json: value!.slice(head.length), whole: mark === KEPT_WHOLE };
}

/** The end claim key of job `uuid`, under the queue's key prefix (`bull:<queue>:`), as the read script builds it. */
export function endClaimKey(keyPrefix: string, uuid: string): string {
  return `${keyPrefix}wbj-decision:${uuid}`;
}

/** The kept end key of job `uuid` (see above), under the queue's key prefix. */
export function keptEndKey(keyPrefix: string, uuid: string): string {
  return `${keyPrefix}${KEPT_END}${uuid}`;
}

const KEPT_END = 'wbj-end:';

/**
 * Lua, in BullMQ's script that stores a job's end (finishClaim.ts): keeps the end of job `id` under `keyPrefix`,
 * `target` (`completed` or `failed`) with `value` (its return value or failure mark), for the claim's life. Past {@link END_KEPT_BYTES}, only
 * the times our worker stores first (a return value's leading `end` and `begin`, a failure mark's after its error)
 * are kept. All are Lua expressions.
 */
export function keepEnd(keyPrefix: string, id: string, target: string, value: string): string {
  // The return value or mark our worker stores is JSON with no line break, so a cut one is read as JSON too.
  return `
do
  local kept = ${value}
  local whole = #kept <= ${END_KEPT_BYTES}
  if not whole then
    local finish, begin = string.match(kept, '^{"end":(%d+),"begin":(%d+)')
    if not finish then finish, begin = string.match(kept, '},"end":(%d+),"begin":(%d+),"messages":%d+') end
    kept = finish and ('{"end":' .. finish .. ',"begin":' .. begin .. '}') or '{}'
  end
  redis.call('SET', ${keyPrefix} .. '${KEPT_END}' .. ${id}, ${target} .. (whole and '${KEPT_WHOLE}' or '${KEPT_CUT}') .. kept, 'PX', ${END_CLAIM_TTL_MS})
end`;
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
