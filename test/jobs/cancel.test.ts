import { existsSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, recordingLogger, tempDir } from '../helpers';

describeEachIsolation('cancel (unlike the seed, it cancels)', (isolation) => {
  test('cancelling a running job makes it Canceled at once, aborts its signal, and leaves no errorInfo', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Forever');
    await new Promise(setImmediate); // let the handler start
    await job.cancel();
    expect(job.state).toBe(BackgroundJobState.Canceled);
    expect(job.end).toBeInstanceOf(Date);
    expect(job.signal.aborted).toBe(true);
    expect(job.signal.reason).toMatchObject({ code: 'WBJ_CANCELED' });
    await job.waitForCompletion();
    expect(job.errorInfo).toBeUndefined();
  });

  test('a job cancelled right after execute never runs its handler', async () => {
    const manager = createManager({ isolation });
    const file = path.join(tempDir(), 'ran');
    const job = await manager.execute('Jobs.Touch', [file]);
    await job.cancel();
    const marker = await manager.execute('Jobs.Sleep', [5]);
    await marker.waitForCompletion();
    expect(existsSync(file)).toBe(false);
    expect(job.state).toBe(BackgroundJobState.Canceled);
  });

  test('cancelling a finished job changes nothing', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Reports.Build', [1, 'a']);
    await job.waitForCompletion();
    const end = job.end;
    await job.cancel();
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toBe('1:a');
    expect(job.end).toEqual(end);
    expect(job.signal.aborted).toBe(false);
  });

  test('what a handler ignoring the signal returns later is ignored', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.IgnoreCancel', [20]);
    await job.cancel();
    const marker = await manager.execute('Jobs.Sleep', [60]);
    await marker.waitForCompletion();
    expect(job.state).toBe(BackgroundJobState.Canceled);
    expect(job.result).toBeUndefined();
  });

  test('what a handler throws after its cancel is ignored and not logged as a failure', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    const job = await manager.execute('Jobs.ThrowAfterCancel');
    await new Promise(setImmediate);
    await job.cancel();
    // The handler throws in the microtasks after the abort; the manager settles it one turn later.
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    expect(job.state).toBe(BackgroundJobState.Canceled);
    expect(job.errorInfo).toBeUndefined();
    expect(logger.lines.error).toEqual([]);
  });
});
