import { BackgroundJobState } from 'web-background-jobs';
import { createManager, registry } from '../helpers';

// Inline handlers share the application's process: they reach its objects (here the test's manager, through
// fixtures/registry.js), which a worker thread cannot.
describe('inline isolation: handlers reach the application', () => {
  test('manager.getCurrent inside a job is that job; another manager sees none', async () => {
    const manager = createManager({ isolation: 'inline' });
    const other = createManager({ isolation: 'inline' });
    registry.manager = manager;
    const job = await manager.execute('Probe.GetCurrent');
    await job.waitForCompletion();
    expect(job.result).toBe(job.uuid);
    registry.manager = other;
    const foreign = await manager.execute('Probe.GetCurrent');
    await foreign.waitForCompletion();
    expect(foreign.result).toBeUndefined();
  });

  test('a job waiting for all jobs does not wait for itself', async () => {
    const manager = createManager({ isolation: 'inline' });
    registry.manager = manager;
    const sibling = await manager.execute('Jobs.Sleep', [20]);
    const waiter = await manager.execute('Probe.WaitForAll');
    await waiter.waitForCompletion();
    expect(waiter.result).toBe('waited');
    expect(sibling.state).toBe(BackgroundJobState.Completed);
  });

  test('in thread isolation the manager is out of reach: getCurrent is undefined inside a worker', async () => {
    const manager = createManager({ isolation: 'thread' });
    registry.manager = manager;
    const job = await manager.execute('Probe.GetCurrent');
    await job.waitForCompletion().catch(() => undefined);
    // The worker loads its own copy of fixtures/registry.js, where no manager was ever set.
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo?.description).toMatch(
      /Cannot read properties of undefined \(reading 'getCurrent'\)/,
    );
  });
});
