import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, recordingLogger } from '../helpers';

describeEachIsolation('time limits (jobsTimeoutSeconds and execute options)', (isolation) => {
  test('a job over its per-call limit ends Failed with a WBJ_JOB_TIMEOUT errorInfo and an aborted signal', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    const job = await manager.execute('Jobs.Forever', [], '', '', { timeoutSeconds: 0.1 });
    await expect(job.waitForCompletion()).rejects.toMatchObject({ code: 'WBJ_JOBS_FAILED' });
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject({
      code: 'WBJ_JOB_TIMEOUT',
      description: expect.stringMatching(/ran past its time limit of 0\.1 s/),
    });
    expect(job.signal.reason).toMatchObject({ code: 'WBJ_JOB_TIMEOUT' });
    expect(job.end!.getTime() - job.begin!.getTime()).toBeGreaterThanOrEqual(95);
    expect(logger.lines.error).toEqual([expect.stringContaining(job.uuid)]);
  });

  test('jobsTimeoutSeconds limits every job of the manager; a per-call 0 lifts it', async () => {
    const manager = createManager({ isolation, timeoutSeconds: 0.1 });
    const limited = await manager.execute('Jobs.Forever');
    const unlimited = await manager.execute('Jobs.Sleep', [300], '', '', { timeoutSeconds: 0 });
    await manager.waitForExecutionCompletion([limited, unlimited]);
    expect(limited.errorInfo?.code).toBe('WBJ_JOB_TIMEOUT');
    expect(unlimited.state).toBe(BackgroundJobState.Completed);
  });

  test('time spent waiting in the queue (or for a worker to start) does not count', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1, timeoutSeconds: 0.6 });
    const first = await manager.execute('Jobs.Sleep', [400]);
    const queued = await manager.execute('Jobs.Sleep', [400]);
    await manager.waitForCompletion([first, queued]);
    expect(queued.state).toBe(BackgroundJobState.Completed);
  });

  test.each([
    [{ timeoutSeconds: -1 }, /timeout must be a number of seconds.*got -1/],
    [{ timeoutSeconds: '5' }, /got "5"/],
    [{ timeout: 5 }, /Unknown execute option "timeout"; expected one of timeoutSeconds, owner/],
    ['soon', /takes options \(\{ timeoutSeconds, owner.* \}\), got "soon"/],
  ])('execute options %p are refused with WBJ_BAD_ARGUMENT and nothing runs', async (options, message) => {
    const manager = createManager({ isolation });
    await expect(manager.execute('Reports.Echo', [], '', '', options as never)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringMatching(message),
    });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });
});

test('thread isolation: a timed-out endless loop is stopped by terminating its worker, which is replaced', async () => {
  const manager = createManager({
    isolation: 'thread',
    maxThreads: 1,
    cancelGraceMs: 100,
    timeoutSeconds: 0.2,
  });
  const spinning = await manager.execute('Hazards.SpinForever');
  await spinning.waitForCompletion().catch(() => undefined);
  expect(spinning.errorInfo?.code).toBe('WBJ_JOB_TIMEOUT');
  const next = await manager.execute('Hazards.Square', [5]);
  await next.waitForCompletion();
  expect(next.result).toBe(25);
  expect(manager.threadCount).toBe(1);
});
