import { execFileSync } from 'node:child_process';
import type { BackgroundJob, BackgroundJobsManager } from 'web-background-jobs';
import { eventually, recordingLogger, ROOT } from '../helpers';
import { useOwnRedis } from '../redisServer';
import { pausedPair as pausedPairOn } from './pausedPair';

// A web-only instance learns how its jobs ended from the queue's event stream, which BullMQ trims to maxLenEvents,
// while the worker's history (jobsHistorySize 0) removes each record at once: when both are gone before this instance
// reads them (a burst of ends while its event loop is busy), how each job ended must still be learnt, right.
jest.setTimeout(60_000);

/** Jobs ended while the web instance's event loop is blocked: far more events than the stream keeps. */
const JOBS = 300;
/** The stream's length, as small as BullMQ keeps it (`MAXLEN ~`: whole nodes of `stream-node-max-entries`). */
const MAX_LEN_EVENTS = 10;

const redis = useOwnRedis();

let queues = 0;

/**
 * A web-only instance here and a worker instance in a process of its own, both keeping no history, on a queue whose
 * event stream keeps a handful of events; the queue is paused, so jobs executed wait (see pausedPair.ts).
 */
async function pausedPair(
  logger = recordingLogger(),
): Promise<{ web: BackgroundJobsManager; queueName: string }> {
  queues += 1;
  const queueName = `trimmed-${queues}`;
  const web = await pausedPairOn(
    redis.url,
    queueName,
    { logger },
    { streams: { events: { maxLen: MAX_LEN_EVENTS } } },
  );
  await eventually(async () =>
    expect(await redis.admin.hget(`bull:${queueName}:meta`, 'opts.maxLenEvents')).toBe(
      String(MAX_LEN_EVENTS),
    ),
  );
  return { web, queueName };
}

/**
 * Resumes the queue from another process and blocks this one until the worker ended every job (no job left queued
 * or running, and each one's end claimed): meanwhile this instance reads no event, as when its event loop is busy.
 * The events BullMQ kept of the last ends are trimmed then, as more ends would: each job's end event is gone.
 * Returns how many events BullMQ had kept.
 */
function runAllWhileBlocked(queueName: string): number {
  const script = `
    const { Queue } = require('bullmq');
    const { Redis } = require('ioredis');
    const [url, name, jobs] = process.argv.slice(1);
    const queue = new Queue(name, { connection: { url }, streams: { events: { maxLen: ${MAX_LEN_EVENTS} } } });
    const redis = new Redis(url);
    (async () => {
      await queue.resume();
      for (;;) {
        const left = await queue.getJobCountByTypes('wait', 'active', 'paused', 'prioritized', 'delayed');
        const claims = (await redis.keys('bull:' + name + ':wbj-decision:*')).length;
        if (left === 0 && claims >= Number(jobs)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      process.stdout.write(String(await redis.xlen('bull:' + name + ':events')));
      await redis.xtrim('bull:' + name + ':events', 'MAXLEN', 0);
      await queue.close();
      redis.disconnect();
    })();
  `;
  const kept = execFileSync(process.execPath, ['-e', script, redis.url, queueName, String(JOBS + 1)], {
    cwd: ROOT,
    timeout: 50_000,
  });
  return Number(kept.toString());
}

/** Executes `count` jobs, the `index`th one as `method` says, then has the worker end them all while this process is blocked. */
async function endedUnread(
  web: BackgroundJobsManager,
  queueName: string,
  method: (index: number) => [string, unknown[]],
): Promise<BackgroundJob[]> {
  const jobs: BackgroundJob[] = [];
  for (let index = 0; index < JOBS; index += 1) jobs.push(await web.execute(...method(index)));
  // The scenario: BullMQ kept far fewer events than the jobs' ends wrote, and no record is left to read.
  expect(runAllWhileBlocked(queueName)).toBeLessThan(JOBS);
  await eventually(() => expect(jobs.filter((job) => job.state === 'Active').length).toBe(0), 15_000);
  for (const job of jobs) expect(job.end!.getTime()).toBeGreaterThanOrEqual(job.begin!.getTime());
  return jobs;
}

test('jobs ended while their events were trimmed and their records removed end as they did (Completed with their result, Failed with their error), not as lost, and their end events are told', async () => {
  const { web, queueName } = await pausedPair();
  const told = new Map<string, string[]>();
  const tell =
    (event: string) =>
    ({ uuid }: { uuid: string }) =>
      void told.set(uuid, [...(told.get(uuid) ?? []), event]);
  web.on('completed', tell('completed')).on('failed', tell('failed'));
  const jobs = await endedUnread(web, queueName, (index) =>
    index % 3 === 2 ? ['Jobs.Fail', [`boom ${index}`]] : ['Reports.Echo', [index]],
  );
  jobs.forEach((job, index) => {
    if (index % 3 === 2) {
      expect(job.state).toBe('Failed');
      expect(job.errorInfo?.description).toBe(`boom ${index}`);
    } else {
      expect(job.state).toBe('Completed');
      expect(job.result).toEqual([index]);
    }
  });
  // Told late (the re-check read their ends), once each.
  await eventually(() => expect(jobs.filter((job) => told.has(job.uuid)).length).toBe(JOBS));
  for (const job of jobs)
    expect(told.get(job.uuid)).toEqual([job.state === 'Failed' ? 'failed' : 'completed']);
});

test(`past ${2048} bytes, such a job's result or error is lost, not how it ended: Completed with no result (logged once, with the settings that avoid it), Failed with WBJ_JOB_LOST`, async () => {
  const logger = recordingLogger();
  const { web, queueName } = await pausedPair(logger);
  const large = 'x'.repeat(3000);
  const jobs = await endedUnread(web, queueName, (index) =>
    index % 2 === 1 ? ['Jobs.Fail', [large]] : ['Reports.Echo', [large]],
  );
  jobs.forEach((job, index) => {
    if (index % 2 === 1) {
      expect(job.state).toBe('Failed');
      expect(job.errorInfo).toMatchObject({
        code: 'WBJ_JOB_LOST',
        description: expect.stringContaining('its error was lost'),
      });
    } else {
      expect(job.state).toBe('Completed');
      expect(job.result).toBeUndefined();
    }
  });
  // Nothing on a job tells its result from a return value undefined: each such job is named in the log, once.
  const logged = logger.lines.error.filter((line) => line.includes('their results were lost'));
  for (const line of logged) {
    expect(line).toContain('over 2048 bytes');
    expect(line).toContain('jobsHistorySize');
    expect(line).toContain('streams.events.maxLen');
  }
  jobs.forEach((job, index) => {
    const naming = logged.filter((line) => line.includes(job.uuid)).length;
    expect([job.uuid, naming]).toEqual([job.uuid, index % 2 === 1 ? 0 : 1]);
  });
});
