import { BackgroundJobState, currentJob, message } from '../../src';
import { createManager, registry } from '../helpers';

describe('the current job', () => {
  test('each of 300 concurrent jobs sees itself as the current job across awaits', async () => {
    const manager = createManager();
    const jobs = await Promise.all(
      Array.from({ length: 300 }, (_, index) => manager.execute('Jobs.WhoAmI', [index % 7])),
    );
    await manager.waitForCompletion(jobs);
    for (const job of jobs) expect(job.result).toEqual([job.uuid, job.uuid]);
  });

  test('manager.getCurrent inside a job is that job; another manager sees none', async () => {
    const manager = createManager();
    const other = createManager();
    registry.manager = manager;
    const job = await manager.execute('Probe.GetCurrent');
    await job.waitForCompletion();
    expect(job.result).toBe(job.uuid);
    registry.manager = other;
    const foreign = await manager.execute('Probe.GetCurrent');
    await foreign.waitForCompletion();
    expect(foreign.result).toBeUndefined();
  });

  test('outside jobs there is no current job', () => {
    expect(currentJob()).toBeUndefined();
    expect(createManager().getCurrent()).toBeUndefined();
  });
});

describe('user messages (unlike the seed, they arrive)', () => {
  test('message() adds messages that getUserMessages returns, oldest first, frozen', async () => {
    const manager = createManager();
    const job = await manager.execute('Jobs.Messages', ['first', 'second']);
    await job.waitForCompletion();
    const messages = job.getUserMessages();
    expect(messages.map((item) => item.text)).toEqual(['first', 'second']);
    expect(messages[0].date).toBeInstanceOf(Date);
    expect(Object.isFrozen(messages)).toBe(true);
    expect(Object.isFrozen(messages[0])).toBe(true);
    expect(job.getUserMessages()).toHaveLength(2);
  });

  test('getUserMessages(true) removes the messages it returns', async () => {
    const manager = createManager();
    const job = await manager.execute('Jobs.Messages', ['once']);
    await job.waitForCompletion();
    expect(job.getUserMessages(true).map((item) => item.text)).toEqual(['once']);
    expect(job.getUserMessages()).toEqual([]);
  });

  test('messages are readable while the job still runs', async () => {
    const manager = createManager();
    const job = await manager.execute('Jobs.MessageThenWait', ['halfway']);
    await new Promise(setImmediate);
    expect(job.state).toBe(BackgroundJobState.Active);
    expect(job.getUserMessages().map((item) => item.text)).toEqual(['halfway']);
    job.cancel();
  });

  test('message() outside a job is refused with WBJ_NO_CURRENT_JOB', () => {
    expect(() => message('nobody listens')).toThrow(expect.objectContaining({ code: 'WBJ_NO_CURRENT_JOB' }));
  });

  test('message() with an object fails that job with a clear description', async () => {
    const manager = createManager();
    const job = await manager.execute('Jobs.BadMessage');
    await job.waitForCompletion().catch(() => undefined);
    expect(job.errorInfo?.description).toBe('message() takes text, got an object (Object)');
  });

  test('getUserMessages refuses a non-boolean argument', async () => {
    const job = await createManager().execute('Reports.Echo');
    expect(() => job.getUserMessages('yes' as never)).toThrow(/takes a boolean, got "yes"/);
  });
});
