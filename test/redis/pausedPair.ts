import { Queue, type QueueOptions } from 'bullmq';
import type { BackgroundJobsManager, BackgroundJobsOptions } from 'web-background-jobs';
import { createManager } from '../helpers';
import { startInstance } from './instances';

/**
 * A worker instance in a process of its own and a web-only instance here (re-checking every 100 ms) on queue
 * `queueName` of Redis `url`, both keeping no history, so that a job's record goes as it ends; a first job is run
 * through both (each queue ready), then the queue is paused, so that jobs executed wait. `queueOptions` are those of
 * the Queue that pauses it (the event stream's length, which BullMQ then stores in the queue's meta hash).
 */
export async function pausedPair(
  url: string,
  queueName: string,
  webOptions: BackgroundJobsOptions = {},
  queueOptions: Omit<QueueOptions, 'connection'> = {},
): Promise<BackgroundJobsManager> {
  await startInstance(url, { jobsQueueName: queueName, jobsHistorySize: '0' });
  const web = createManager({
    store: url,
    queueName,
    worker: false,
    historySize: 0,
    checkInterval: 100,
    ...webOptions,
  });
  const first = await web.execute('Jobs.Sleep', [1]);
  await first.waitForCompletion(10);
  expect(first.state).toBe('Completed');
  const probe = new Queue(queueName, { ...queueOptions, connection: { url } });
  await probe.pause();
  await probe.close();
  return web;
}
