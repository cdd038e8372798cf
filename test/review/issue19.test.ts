import path from 'node:path';
import {
  type BackgroundJobsManager,
  BackgroundJobState,
  type FailedEvent,
  type QueuedEvent,
} from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, tempDir, useRedisStore } from '../helpers';

// Review of issue 19 (events, retries and delays): defects found by trying the promises in each mode.
jest.setTimeout(40_000);

describeEachIsolation('issue 19 review: retries heard as events', (isolation) => {
  test('a failed attempt that runs again is heard failed with the run time of that attempt, not 0', async () => {
    const manager = createManager({ isolation });
    const failed: FailedEvent[] = [];
    manager.on('failed', (payload) => void failed.push(payload));
    // Its first attempt runs until its time limit of 1 s stops it, and then runs again.
    const job = await manager.execute('Retries.SlowTimes', [path.join(tempDir(), 'attempts'), 1], '', '', {
      attempts: 2,
      timeoutSeconds: 1,
    });
    await job.waitForCompletion(30);
    expect(job.state).toBe(BackgroundJobState.Completed);
    await eventually(() => expect(failed).toHaveLength(1));
    expect(failed[0]).toMatchObject({ uuid: job.uuid, attempt: 1, willRetry: true });
    expect(failed[0]!.runSeconds).toBeGreaterThanOrEqual(0.9);
  });
});

describeEachIsolation('issue 19 review: delayed jobs heard as events', (isolation) => {
  test('a job held back by delaySeconds or startAt is heard queued with the seconds it waits', async () => {
    const manager = createManager({ isolation });
    const queued: QueuedEvent[] = [];
    manager.on('queued', (payload) => void queued.push(payload));
    const delayed = await manager.execute('Reports.Echo', ['x'], '', '', { delaySeconds: 1.5 });
    const timed = await manager.execute('Reports.Echo', ['x'], '', '', {
      startAt: new Date(Date.now() + 2000),
    });
    const now = await manager.execute('Reports.Echo', ['x']);
    await manager.waitForCompletion([delayed, timed, now], 30);
    await eventually(() => expect(queued).toHaveLength(3));
    const waits = (uuid: string) => queued.find((payload) => payload.uuid === uuid)!.delaySeconds;
    expect(waits(delayed.uuid)).toBeGreaterThan(1);
    expect(waits(delayed.uuid)).toBeLessThanOrEqual(1.5);
    expect(waits(timed.uuid)).toBeGreaterThan(1.5);
    expect(waits(timed.uuid)).toBeLessThanOrEqual(2);
    expect(waits(now.uuid)).toBeUndefined();
  });
});

describe('issue 19 review: events of a retried job on Redis', () => {
  useRedisStore();

  test('an instance that runs a later attempt of a job, or hears all jobs from then on, hears it started and failed with that attempt, not 1', async () => {
    const queueName = `review19-${process.pid}`;
    const file = path.join(tempDir(), 'attempts');
    const first = createManager({ queueName });
    const firstFailed: FailedEvent[] = [];
    first.on('failed', (payload) => void firstFailed.push(payload));
    const job = await first.execute('Retries.FailTimes', [file, 99], '', '', {
      attempts: 2,
      backoff: { type: 'fixed', delaySeconds: 2 },
    });
    await eventually(() => expect(firstFailed).toMatchObject([{ attempt: 1, willRetry: true }]), 10_000);
    await first.close(); // started again: the instance after it runs the second attempt
    const hear = (manager: BackgroundJobsManager) => {
      const heard: { event: string; attempt: unknown; willRetry?: boolean }[] = [];
      manager.on('started', ({ uuid, attempt }) => {
        if (uuid === job.uuid) heard.push({ event: 'started', attempt });
      });
      manager.on('failed', ({ uuid, attempt, willRetry }) => {
        if (uuid === job.uuid) heard.push({ event: 'failed', attempt, willRetry });
      });
      return heard;
    };
    const bystander = createManager({ queueName, worker: false, events: 'all' });
    const heardByBystander = hear(bystander);
    await bystander.getBackgroundJobs(); // it reads the event stream from now on
    const again = createManager({ queueName });
    const heard = hear(again);
    await again.getBackgroundJobs(); // its worker takes jobs from now on
    const expected = [
      { event: 'started', attempt: 2 },
      { event: 'failed', attempt: 2, willRetry: false },
    ];
    await eventually(() => {
      expect(heard).toEqual(expected);
      expect(heardByBystander).toEqual(expected);
    }, 15_000);
  });
});

describe('issue 19 review: events of jobs run by another instance on Redis', () => {
  useRedisStore();

  test('the instance whose worker runs the jobs of another hears each started once, even when its worker takes a job before its stream has read the job queued', async () => {
    const queueName = `review19-runner-${process.pid}`;
    const web = createManager({ queueName, worker: false, isolation: 'inline' });
    const runner = createManager({ queueName, worker: true, isolation: 'inline', maxConcurrency: 20 });
    const started = new Map<string, number>();
    runner.on('started', ({ uuid }) => void started.set(uuid, (started.get(uuid) ?? 0) + 1));
    await runner.getBackgroundJobs(); // it reads the event stream, and its worker takes jobs
    const jobs = [];
    for (let run = 0; run < 60; run += 1) {
      // One at a time: the runner's worker and its event stream race for each.
      const job = await web.execute('Reports.Echo', ['x']);
      await job.waitForCompletion(30);
      jobs.push(job);
    }
    await eventually(() => expect(started.size).toBe(jobs.length), 10_000);
    // Every event of these jobs written before the marker's end has been read by then.
    const marker = await web.execute('Reports.Echo', ['marker']);
    await marker.waitForCompletion(30);
    await eventually(() => expect(started.has(marker.uuid)).toBe(true), 10_000);
    expect([...started.values()].filter((count) => count !== 1)).toEqual([]);
  });
});
