import type { RedisClient } from 'bullmq';
import { END_CLAIM_TTL_MS, FINISHED_CLAIM, keepEnd } from './endClaim';
import { encodeFailure } from './record';

/**
 * The worker claims a job's end (see endClaim.ts) in the very script where BullMQ stores it, `moveToFinished`: no
 * round trip of its own between the handler's end and the job's. Prepended to BullMQ's script on the worker's own
 * connection, this claims the end for the worker (`SET NX`) while the job's record is there and its lock is the
 * worker's; if a cancel claimed it first, BullMQ's script goes on with the cancel's ending in place of the worker's
 * (the job fails with the cancel mark, which reads `Canceled`), so that how the job ended and its claim agree, in one
 * atomic step; else it keeps the end beside the claim (see endClaim.ts), whoever claimed it (lockKeeper.ts may have). A lock that lapsed in an outage the worker had not noticed yet when the handler ended is taken again
 * first, unless BullMQ gave the job up. A record that is gone (no claim: local jobs then fail it as lost) or a job
 * given up is left to BullMQ's own checks, which follow.
 *
 * It reads and rewrites BullMQ's keys and arguments by position: BullMQ's script header must still name them so
 * ({@link LAYOUT}), else nothing is prepended and the worker claims the end with a script of its own first.
 */
const PRELUDE = `
do
  local opts = cmsgpack.unpack(ARGV[8])
  local lockKey = KEYS[12] .. ':lock'
  local lock = redis.call('GET', lockKey)
  if not lock and redis.call('EXISTS', KEYS[12]) == 1 and redis.call('HEXISTS', KEYS[12], 'finishedOn') == 0
    and not redis.call('HGET', KEYS[12], 'defa') then
    -- Lapsed while Redis was away (unnoticed yet when the handler ended) and not given up: taken again, as jobLock.ts does.
    redis.call('SET', lockKey, opts['token'], 'PX', opts['lockDuration'])
    redis.call('SREM', KEYS[5], ARGV[1])
    lock = opts['token']
  end
  if lock == opts['token'] and redis.call('EXISTS', KEYS[12]) == 1 then
    local claimKey = ARGV[7] .. 'wbj-decision:' .. ARGV[1]
    if not redis.call('SET', claimKey, '${FINISHED_CLAIM}', 'PX', ${END_CLAIM_TTL_MS}, 'NX')
      and redis.call('GET', claimKey) ~= '${FINISHED_CLAIM}' then
      redis.call('PEXPIRE', claimKey, ${END_CLAIM_TTL_MS})
      ARGV[3] = 'failedReason'
      ARGV[4] = '${encodeFailure('canceled')}'
      ARGV[5] = 'failed'
      KEYS[11] = ARGV[7] .. 'failed'
      KEYS[13] = ARGV[7] .. 'metrics:failed'
    else${keepEnd('ARGV[7]', 'ARGV[1]', 'ARGV[5]', 'ARGV[4]')}
    end
  end
end
`;

/** What BullMQ's `moveToFinished` header says of the keys and arguments {@link PRELUDE} reads or rewrites. */
const LAYOUT = [
  'KEYS[5] stalled key',
  'KEYS[11] completed/failed key',
  'KEYS[12] jobId key',
  'KEYS[13] metrics key',
  'ARGV[1]  jobId',
  'ARGV[3]  msg property returnvalue / failedReason',
  'ARGV[4]  return value / failed reason',
  'ARGV[5]  target (completed/failed)',
  'ARGV[7]  keys prefix',
  'ARGV[8]  opts',
  'opts - token - lock token',
  'opts - lockDuration - lock duration in milliseconds',
];

const KEY_COUNT = 14;

/** The scripts ioredis defined on a connection, by command name. */
type Scripts = Record<string, { readonly lua: string; readonly numberOfKeys: number | null } | undefined>;

/**
 * Teaches `client`, the worker's own connection once BullMQ has defined its scripts there, to claim a job's end in
 * BullMQ's `moveToFinished` (see {@link PRELUDE}). `false` if BullMQ's script is not the one it expects.
 */
export function withFinishClaim(client: RedisClient): boolean {
  const scripts = (client as unknown as { scriptsSet?: Scripts }).scriptsSet ?? {};
  const name = Object.keys(scripts).find((command) => command.startsWith('moveToFinished:'));
  const script = name === undefined ? undefined : scripts[name];
  if (script === undefined || script.numberOfKeys !== KEY_COUNT) return false;
  if (script.lua.startsWith(PRELUDE)) return true;
  if (!LAYOUT.every((line) => script.lua.includes(line))) return false;
  client.defineCommand(name!, { numberOfKeys: KEY_COUNT, lua: PRELUDE + script.lua });
  return true;
}
