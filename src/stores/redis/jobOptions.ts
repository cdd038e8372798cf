import path from 'node:path';
import type { JobsOptions } from 'bullmq';
import type { Settings } from '../../config/options';
import type { JobRequest } from '../JobStore';

/**
 * How many finished jobs BullMQ keeps (`jobsHistorySize`), one object for every job (BullMQ only reads it). Its
 * "keep 0" means "keep all": a history of 0 removes finished jobs at once.
 */
export function finishedKept(settings: Settings): JobsOptions['removeOnComplete'] {
  return settings.historySize === 0 ? true : { count: settings.historySize };
}

/**
 * BullMQ options of a new job: key rule, history kept as `keep` (see {@link finishedKept}), and its attempts, backoff
 * and start as BullMQ's own (one attempt unless asked: 1C keeps a failed job failed).
 */
export function jobOptions(
  { handler, key, retry, startAt }: JobRequest,
  jobId: string,
  keep: JobsOptions['removeOnComplete'],
  handlersPath: string,
): JobsOptions & { readonly jobId: string } {
  const backoff = retry?.backoff;
  return {
    jobId,
    attempts: retry?.attempts ?? 1,
    ...(backoff && { backoff: { type: backoff.type, delay: backoff.delaySeconds * 1000 } }),
    ...(startAt !== undefined && { delay: Math.max(0, startAt - Date.now()) }),
    removeOnComplete: keep,
    removeOnFail: keep,
    ...(key !== '' && {
      deduplication: { id: JSON.stringify([handlerIdentity(handler, handlersPath), key]) },
    }),
  };
}

/** The handler's path inside the handlers folder, not its absolute path: instances on other hosts agree. */
function handlerIdentity(handler: JobRequest['handler'], handlersPath: string): string {
  return path.relative(handlersPath, handler.identity).split(path.sep).join('/');
}
