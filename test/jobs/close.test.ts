import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

describeEachIsolation('close (graceful shutdown)', (isolation) => {
  test('running and queued jobs that finish within the grace complete; then execute rejects with WBJ_CLOSED', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const running = await manager.execute('Jobs.Sleep', [40]);
    const queued = await manager.execute('Reports.EchoLater', ['queued']);
    await manager.close({ graceSeconds: 10 });
    expect(running.state).toBe(BackgroundJobState.Completed);
    expect(queued.result).toBe('queued');
    await expect(manager.execute('Reports.Echo')).rejects.toMatchObject({
      code: 'WBJ_CLOSED',
      message: expect.stringMatching(/execute\("Reports\.Echo"\) was called after close\(\)/),
    });
  });

  test('jobs still running after the grace are cancelled, queued ones too; none is left Active', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const stuck = await manager.execute('Jobs.Forever');
    const queued = await manager.execute('Jobs.Sleep', [1]);
    await manager.close({ graceSeconds: 0.1 });
    expect(stuck.state).toBe(BackgroundJobState.Canceled);
    expect(queued.state).toBe(BackgroundJobState.Canceled);
    expect(await manager.getBackgroundJobs({ state: BackgroundJobState.Active })).toEqual([]);
    expect(manager.threadCount).toBe(0);
  });

  test('an execute still resolving its handler when close() is called is refused, not left behind', async () => {
    const manager = createManager({ isolation });
    const executing = manager.execute('Reports.Echo');
    const closing = manager.close();
    await expect(executing).rejects.toMatchObject({ code: 'WBJ_CLOSED' });
    await closing;
    expect(await manager.getBackgroundJobs()).toEqual([]);
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
