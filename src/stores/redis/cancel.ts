import type { QueueEvents, QueueEventsListener } from 'bullmq';
import { jobLogFields } from '../../config/logWriter';
import type { Settings } from '../../config/options';
import { BackgroundJobsError } from '../../errors';
import type { BackgroundJob } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import { ended } from '../../jobs/waits';
import type { LogError } from '../../runners/JobExecutor';
import { CANCEL_EVENT, claimCancel } from './changeLog';
import type { RedisConnection } from './connection';
import { cancelClaim, END_CLAIM_TTL_MS, endClaimKey } from './endClaim';
import { track } from './inFlight';
import type { LocalJobs } from './localJobs';
import { encodeFailure, snapshotOf } from './record';

/** QueueEvents' listeners, with our cancel request. */
interface CancelListener extends QueueEventsListener {
  [CANCEL_EVENT]: (args: { jobId: string }, id: string) => void;
}

/** Calls `stop` with each job some instance cancelled, for the instance running it. */
export function onCancelRequest(events: QueueEvents, stop: (jobId: string) => void): void {
  events.on<CancelListener>(CANCEL_EVENT, ({ jobId }: { jobId: string }) => stop(jobId));
}

/** What a cancel works with. */
export interface CancelContext {
  readonly settings: Settings;
  readonly logError: LogError;
  readonly connection: RedisConnection;
  readonly localJobs: LocalJobs;
}

/**
 * Cancels the job of a local job, from any instance: the cancel and the job's worker race to claim the job's end
 * (see endClaim.ts). A cancel that claims it tells the instance running the job to stop it, in the same step (see
 * changeLog.ts), and frees the key rule at once. Settles once the local job says how the job ended; a failure is logged, and the job stays Active.
 */
export async function cancelThroughRedis(
  job: BackgroundJob,
  { settings, logError, connection, localJobs }: CancelContext,
): Promise<void> {
  const { redis, queue, keyPrefix } = connection;
  const claimKey = endClaimKey(keyPrefix, job.uuid);
  // Noted as sent from here at once: a worker here taking the job meanwhile waits for the answer (see inFlight.ts).
  const claiming = track(
    queue,
    job.uuid,
    'cancel',
    connection.connected('cancel').then(() => {
      const at = Date.now();
      const target = { claimKey, jobKey: queue.toKey(job.uuid), jobId: job.uuid };
      const claim = { value: cancelClaim(at), at, mark: encodeFailure('canceled'), ttlMs: END_CLAIM_TTL_MS };
      return claimCancel(redis, queue.keys, target, claim);
    }),
  );
  try {
    const claimed = await claiming;
    if (claimed !== 'claimed already') {
      const [stored] = await localJobs.read([job.uuid]);
      if (claimed === 'claimed' && (stored === undefined || stored.fields.finishedOn)) {
        // It had finished (or was removed) before: the cancel came too late, and its claim goes.
        await redis.del(claimKey);
      } else {
        await (await queue.getJob(job.uuid))?.removeDeduplicationKey();
      }
      // Read after the claim, so it says Canceled, or how the job had ended before.
      if (stored !== undefined) job.sync(snapshotOf(stored, settings));
      return;
    }
    // Claimed already: cancelled by someone else, or its worker is storing its end right now.
    await localJobs.refresh([job.uuid]);
    if (job.state === BackgroundJobState.Active) await ended([job], 'all', 1000);
  } catch (error) {
    logError(
      `[web-background-jobs] Background job ${job.uuid} (${job.methodName}) could not be cancelled and stays Active: ${
        error instanceof BackgroundJobsError ? error.message : 'the Redis store is unreachable'
      }`,
      error,
      jobLogFields(job),
    );
  }
}
