import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, onRedis } from '../helpers';

describeEachIsolation('close (graceful shutdown)', (isolation) => {
  test('running and queued jobs that finish within the grace complete; then execute rejects with WBJ_CLOSED', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const running = await manager.execute('Jobs.Sleep', [40]);
    await eventually(() => expect(running.begin).toBeDefined()); // on Redis, once the worker has taken it
    const queued = await manager.execute('Reports.EchoLater', ['queued']);
    await manager.close({ graceSeconds: 10 });
    expect(running.state).toBe(BackgroundJobState.Completed);
    if (onRedis()) {
      // A queued job belongs to the queue, not to the instance: the next worker on it runs the job.
      const next = createManager({ queueName: manager.settings.queueName });
      await next.waitForCompletion([(await next.findByUUID(queued.uuid))!]);
      expect((await next.findByUUID(queued.uuid))!.result).toBe('queued');
    } else {
      expect(queued.result).toBe('queued');
    }
    await expect(manager.execute('Reports.Echo')).rejects.toMatchObject({
      code: 'WBJ_CLOSED',
      message: expect.stringMatching(/execute\("Reports\.Echo"\) was called after close\(\)/),
    });
  });

  test('jobs still running after the grace are cancelled, queued ones too; none is left Active', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const stuck = await manager.execute('Jobs.Forever');
    await eventually(() => expect(stuck.begin).toBeDefined());
    const queued = await manager.execute('Jobs.Sleep', [1]);
    await manager.close({ graceSeconds: 0.1 });
    expect(stuck.state).toBe(BackgroundJobState.Canceled);
    expect(manager.threadCount).toBe(0);
    if (onRedis()) {
      // Cancelled on the closing instance, and seen so by any other; the queued job waits for the next worker.
      const other = createManager({ queueName: manager.settings.queueName, worker: false });
      expect((await other.findByUUID(stuck.uuid))!.state).toBe(BackgroundJobState.Canceled);
      expect((await other.findByUUID(queued.uuid))!.state).toBe(BackgroundJobState.Active);
    } else {
      expect(queued.state).toBe(BackgroundJobState.Canceled);
      expect(await manager.getBackgroundJobs({ state: BackgroundJobState.Active })).toEqual([]);
    }
  });

  test('an execute still resolving its handler when close() is called is refused, not left behind', async () => {
    const manager = createManager({ isolation });
    const executing = manager.execute('Reports.Echo');
    const closing = manager.close();
    await expect(executing).rejects.toMatchObject({ code: 'WBJ_CLOSED' });
    await closing;
    if (onRedis()) {
      // A closed manager on Redis has let go of its connections: reads say so instead of hanging.
      await expect(manager.getBackgroundJobs()).rejects.toMatchObject({ code: 'WBJ_CLOSED' });
    } else {
      expect(await manager.getBackgroundJobs()).toEqual([]);
    }
  });

  test('close() twice returns the same shutdown; a bad grace is refused', async () => {
    const manager = createManager({ isolation });
    await expect(manager.close({ graceSeconds: -1 })).rejects.toThrow(/close\(\{ graceSeconds \}\).*got -1/);
    const first = manager.close({ graceSeconds: 0 });
    expect(manager.close()).toBe(first);
    await first;
  });
});

test('thread isolation: close() terminates a worker stuck in an endless loop and resolves with no worker left', async () => {
  const manager = createManager({ isolation: 'thread', maxThreads: 2, cancelGraceMs: 100 });
  const stuck = await manager.execute('Hazards.SpinForever');
  const done = await manager.execute('Hazards.Square', [4]);
  await done.waitForCompletion();
  const started = Date.now();
  await manager.close({ graceSeconds: 0.1 });
  expect(Date.now() - started).toBeLessThan(100 + 100 + 1000);
  expect(stuck.state).toBe(BackgroundJobState.Canceled);
  expect(manager.threadCount).toBe(0);
});
