import type { RedisClient } from 'bullmq';
import { jobLogFields } from '../../config/logWriter';
import type { Settings } from '../../config/options';
import type { BackgroundJobsError } from '../../errors';
import type { BackgroundJob } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import type { ErrorInfo } from '../../jobs/errorInfo';
import type { LogError } from '../../runners/JobExecutor';
import type { RedisConnection } from './connection';
import { canceledAt, END_CLAIM_TTL_MS, endClaimKey, FINISHED_CLAIM } from './endClaim';
import { holdJob } from './jobLock';
import { jobLost, remoteErrorInfo, workerLost } from './lostErrors';
import { encodeFailure, failureError } from './record';

/** Why BullMQ gave up a job running here; see `#whyGivenUp`. */
interface GivenUp {
  /** Whether this instance could not reach Redis (else its process blocked). */
  readonly cutOff: boolean;
  readonly error: BackgroundJobsError;
  readonly errorInfo: ErrorInfo;
}

/** What a {@link LockKeeper} works with. */
export interface LockKeeperContext {
  readonly settings: Settings;
  readonly logError: LogError;
  readonly connection: RedisConnection;
  /** The worker's own connection, where BullMQ stores the jobs' ends (see holdJob). */
  readonly client: () => Promise<RedisClient>;
  /** The running job of a job this worker runs. */
  readonly running: (uuid: string) => BackgroundJob | undefined;
}

/**
 * The BullMQ locks of the jobs a worker runs, and the claims of their ends (see endClaim.ts): a job's end is claimed
 * where BullMQ stores it when it can be (finishClaim.ts), else here first; a lock that lapsed while Redis was away is
 * taken again, or the job fails saying why BullMQ gave it up.
 */
export class LockKeeper {
  readonly #settings: Settings;
  readonly #logError: LogError;
  readonly #connection: RedisConnection;
  readonly #client: () => Promise<RedisClient>;
  readonly #running: (uuid: string) => BackgroundJob | undefined;
  /** The BullMQ lock token of each job this worker is running. */
  readonly tokens = new Map<string, string>();
  /** Whether BullMQ's script that stores a job's end claims it for this worker (see finishClaim.ts). */
  claimsAtFinish = false;

  constructor({ settings, logError, connection, client, running }: LockKeeperContext) {
    this.#settings = settings;
    this.#logError = logError;
    this.#connection = connection;
    this.#client = client;
    this.#running = running;
  }

  /**
   * Claims the end of a job whose handler ended (`retried`: a failed attempt that runs again claims none): `finished`
   * (this worker stores the end, or BullMQ's script claims it as it does), a cancel's claim, or `retried`.
   * @throws the job's error when it cannot end here: its record is gone (every local job then fails as lost on its
   * re-check), or BullMQ gave it up (logged).
   */
  claimEnd(running: BackgroundJob, retried: boolean): Promise<string> | typeof FINISHED_CLAIM {
    // Claimed where BullMQ stores the end (most jobs: nothing to wait for), unless the job's lock may have lapsed:
    // then held again first.
    if (!retried && this.claimsAtFinish && !this.#mayHaveLapsed(running)) return FINISHED_CLAIM;
    return this.#claimNow(running.uuid, retried);
  }

  /** {@link LockKeeper.claimEnd} with a round trip: a failed attempt's lock, or a lock that may have lapsed. */
  async #claimNow(uuid: string, retried: boolean): Promise<string> {
    const claimed = retried ? await this.#holdForRetry(uuid) : await this.#hold(uuid, true, END_CLAIM_TTL_MS);
    if (claimed === 'vanished') throw jobLost(uuid);
    if (claimed === 'given up') throw this.#givenUp(uuid, true).error;
    return claimed;
  }

  /** Ends a job whose end a cancel claimed: BullMQ records it failed with our cancel mark, which reads `Canceled`. */
  async yieldToCancel(uuid: string): Promise<never> {
    // The claim expires now that the job's record says it: with the job's end when BullMQ's script claims it.
    if (!this.claimsAtFinish) {
      const claimKey = endClaimKey(this.#connection.keyPrefix, uuid);
      await this.#connection.redis.pexpire(claimKey, END_CLAIM_TTL_MS).catch(() => {});
    }
    throw failureError('canceled');
  }

  /** Whether a cancel sent from here as BullMQ handed job `uuid` over (`sentHere`, see inFlight.ts) claimed its end. */
  async canceledMeanwhile(uuid: string, sentHere: Promise<boolean>): Promise<boolean> {
    return (await sentHere) && canceledAt(await this.#claimOf(uuid)) !== undefined;
  }

  /**
   * BullMQ could not renew these jobs' locks: they lapsed while Redis was unreachable. Each is taken again, unless
   * BullMQ gave the job up meanwhile; its handler is then stopped, since nothing it does can be stored.
   */
  async holdLocks(ids: readonly string[]): Promise<void> {
    for (const uuid of ids) {
      const running = this.#running(uuid);
      if (running === undefined) continue;
      const handlerEnded = running.state !== BackgroundJobState.Active; // its run is storing its end
      const held = await this.#hold(uuid, handlerEnded).catch(() => 'held'); // closing: nothing more to hold
      if (held !== 'given up' || handlerEnded) continue;
      const { errorInfo, error } = this.#givenUp(uuid, false);
      running.expire(errorInfo, error);
    }
  }

  async #claimOf(uuid: string): Promise<string | null> {
    return (await this.#client()).get(endClaimKey(this.#connection.keyPrefix, uuid));
  }

  /**
   * Whether the lock of a job run here may have lapsed: Redis was unreachable since it began, or it ran for half a
   * lock's life (its first lock, taken when it began, lasts a whole one).
   */
  #mayHaveLapsed(running: BackgroundJob): boolean {
    const begin = running.begin?.getTime() ?? 0;
    const lockMs = this.#settings.lostWorkerSeconds * 1000;
    return this.#connection.lastFailure >= begin || Date.now() - begin >= lockMs / 2;
  }

  /** Holds the lock of a job whose failed attempt runs again: `retried`, or the claim of a cancel made meanwhile. */
  async #holdForRetry(uuid: string): Promise<string> {
    const held = await this.#hold(uuid, true);
    if (held !== 'held') return held;
    const claim = await this.#claimOf(uuid);
    return canceledAt(claim) === undefined ? 'retried' : claim!;
  }

  /**
   * Holds the lock of a job running here (see {@link holdJob}), and with `claimTtlMs` claims its end: after an
   * outage longer than a lock's life the worker takes its lock again, or learns that BullMQ gave the job up. The job
   * then fails saying why, as this instance knows it once its connections have told what happened.
   */
  async #hold(uuid: string, handlerEnded: boolean, claimTtlMs?: number): Promise<string> {
    const client = await this.#client();
    const { queue, keyPrefix } = this.#connection;
    const lock = {
      jobKey: queue.toKey(uuid),
      stalledKey: queue.keys.stalled,
      endClaimKey: endClaimKey(keyPrefix, uuid),
      jobId: uuid,
      token: this.tokens.get(uuid)!,
      lockMs: this.#settings.lostWorkerSeconds * 1000,
      givenUpMark: '',
    };
    const held = await holdJob(client, lock, claimTtlMs);
    if (held !== 'given up') return held;
    const { cutOff, errorInfo } = this.#whyGivenUp(uuid, handlerEnded);
    if (cutOff) await holdJob(client, { ...lock, givenUpMark: encodeFailure(errorInfo) });
    return held;
  }

  /**
   * Why BullMQ gave up a job running here, as this instance knows it: Redis was unreachable (`cutOff`) if one of its
   * connections failed since the job began; otherwise the process blocked, and BullMQ's own reason says as much.
   */
  #whyGivenUp(uuid: string, handlerEnded: boolean): GivenUp {
    const begin = this.#running(uuid)?.begin?.getTime() ?? 0;
    const { lostWorkerSeconds, handlersPath } = this.#settings;
    const cutOff = this.#connection.lastFailure >= begin;
    const error = workerLost(uuid, cutOff ? { lostWorkerSeconds, handlerEnded } : undefined);
    return { cutOff, error, errorInfo: remoteErrorInfo(error, handlersPath) };
  }

  /** A job running here that BullMQ gave up: why, logged. */
  #givenUp(uuid: string, handlerEnded: boolean): GivenUp {
    const givenUp = this.#whyGivenUp(uuid, handlerEnded);
    const running = this.#running(uuid);
    const fields = running === undefined ? { uuid } : jobLogFields(running);
    this.#logError(`[web-background-jobs] ${givenUp.error.message}`, givenUp.error, fields);
    return givenUp;
  }
}
