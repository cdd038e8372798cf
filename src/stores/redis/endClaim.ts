/**
 * A job's **end claim**: how a cancel and the job's worker agree on who ends a job held in Redis. BullMQ cannot cancel
 * a job that is waiting or held by another process, so each side sets one key per job with `SET NX`, and the first
 * to set it ends the job; the other one yields. The key holds `canceled:<ms>` (a cancel, and when it was made) or
 * `finished` (the worker is storing how the job ended). Its Redis name, `wbj-decision:<uuid>`, is read by instances of
 * every version of this library and stays as it is.
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
