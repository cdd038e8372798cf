import { BackgroundJobState, currentJob, message, progress } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually } from '../helpers';

describeEachIsolation('the current job', (isolation) => {
  test('each of 300 concurrent jobs sees itself as the current job across awaits', async () => {
    const manager = createManager({ isolation });
    const jobs = await Promise.all(
      Array.from({ length: 300 }, (_, index) => manager.execute('Jobs.WhoAmI', [index % 7])),
    );
    await manager.waitForCompletion(jobs);
    for (const job of jobs) expect(job.result).toEqual([job.uuid, job.uuid]);
  });

  test('outside jobs there is no current job', () => {
    expect(currentJob()).toBeUndefined();
    expect(createManager({ isolation }).getCurrent()).toBeUndefined();
  });
});

describeEachIsolation('user messages (unlike the seed, they arrive)', (isolation) => {
  test('message() adds messages that getUserMessages returns, oldest first, frozen', async () => {
    const manager = createManager({ isolation });
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
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Messages', ['once']);
    await job.waitForCompletion();
    expect(job.getUserMessages(true).map((item) => item.text)).toEqual(['once']);
    expect(job.getUserMessages()).toEqual([]);
  });

  test('messages are readable while the job still runs', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.MessageThenWait', ['halfway']);
    await eventually(() => expect(job.getUserMessages().map((item) => item.text)).toEqual(['halfway']));
    expect(job.state).toBe(BackgroundJobState.Active);
    await job.cancel();
  });

  test('message() outside a job is refused with WBJ_NO_CURRENT_JOB', () => {
    expect(() => message('nobody listens')).toThrow(expect.objectContaining({ code: 'WBJ_NO_CURRENT_JOB' }));
  });

  test('message() with an object of unknown fields fails that job with a clear description', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.BadMessage');
    await job.waitForCompletion().catch(() => undefined);
    expect(job.errorInfo?.description).toBe(
      'message(an object (Object)): a user message has no field "not"; it has text, field, dataPath, dataKey, targetId',
    );
  });

  test('getUserMessages refuses a non-boolean argument', async () => {
    const job = await createManager({ isolation }).execute('Reports.Echo');
    expect(() => job.getUserMessages('yes' as never)).toThrow(/takes a boolean, got "yes"/);
  });
});

describeEachIsolation('progress (beyond 1C: БСП ДлительныеОперации.СообщитьПрогресс)', (isolation) => {
  test('progress() is visible as job.progress while the job still runs', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.ProgressThenWait', [40, 'halfway there']);
    await eventually(() => expect(job.progress).toMatchObject({ percent: 40, text: 'halfway there' }));
    expect(job.state).toBe(BackgroundJobState.Active);
    expect(job.progress!.date).toBeInstanceOf(Date);
    expect(Object.isFrozen(job.progress)).toBe(true);
  });

  test('the last progress reported stays on the finished job', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.ProgressSteps', [
      [10, 'start'],
      [100, 'done'],
    ]);
    await job.waitForCompletion();
    expect(job.progress).toMatchObject({ percent: 100, text: 'done' });
  });

  test('a job that reports none has no progress', async () => {
    const job = await createManager({ isolation }).execute('Reports.Echo');
    await job.waitForCompletion();
    expect(job.progress).toBeUndefined();
  });

  test.each([
    [150, 100],
    [-5, 0],
    ['50', 50],
    [' 7.5 ', 7.5],
    ['1e3', 100],
  ])('progress(%p) is read as %p and the job completes', async (given, percent) => {
    const job = await createManager({ isolation }).execute('Jobs.ProgressSteps', [[given, 'step']]);
    await job.waitForCompletion();
    expect([job.state, job.progress]).toEqual([
      BackgroundJobState.Completed,
      expect.objectContaining({ percent, text: 'step' }),
    ]);
  });

  test('progress(null or undefined, text) reports the text alone and keeps the last percent (1C: СообщитьПрогресс(Неопределено, Текст))', async () => {
    const job = await createManager({ isolation }).execute('Jobs.ProgressSteps', [
      [null, 'Начало'],
      [40, 'Загрузка'],
      [null, 'Загрузка справочника'],
    ]);
    await job.waitForCompletion();
    expect([job.state, job.progress]).toEqual([
      BackgroundJobState.Completed,
      expect.objectContaining({ percent: 40, text: 'Загрузка справочника' }),
    ]);
    const first = await createManager({ isolation }).execute('Jobs.ProgressSteps', [[null, 'Начало']]);
    await first.waitForCompletion();
    expect(first.progress).toMatchObject({ percent: 0, text: 'Начало' });
  });

  test.each([['NaN'], ['half'], [''], [{ percent: 5 }]])(
    'progress(%p), no number at all, fails the job with a description naming the value',
    async (percent) => {
      const job = await createManager({ isolation }).execute('Jobs.BadProgress', [percent]);
      await job.waitForCompletion().catch(() => undefined);
      expect(job.errorInfo?.description).toMatch(
        /progress\(percent\) takes a number \(clamped to 0\.\.100\) or a string holding one, got/,
      );
    },
  );
});

test('progress() outside a job is refused with WBJ_NO_CURRENT_JOB', () => {
  expect(() => progress(5)).toThrow(expect.objectContaining({ code: 'WBJ_NO_CURRENT_JOB' }));
});

describeEachIsolation('job.toJSON (what res.json(job) sends)', (isolation) => {
  test('a finished job serializes with its fields, messages, progress and result; Dates as ISO strings', async () => {
    const job = await createManager({ isolation }).execute(
      'Jobs.ProgressSteps',
      [[100, 'done']],
      'K',
      'Steps',
    );
    await job.waitForCompletion();
    expect(JSON.parse(JSON.stringify(job))).toEqual({
      uuid: job.uuid,
      methodName: 'Jobs.ProgressSteps',
      key: 'K',
      description: 'Steps',
      state: 'Completed',
      begin: job.begin!.toISOString(),
      end: job.end!.toISOString(),
      progress: { percent: 100, text: 'done', date: job.progress!.date.toISOString() },
      messages: [],
      result: 1,
    });
  });

  test('a failed job serializes its errorInfo', async () => {
    const job = await createManager({ isolation }).execute('Jobs.Fail', ['no luck']);
    await job.waitForCompletion().catch(() => undefined);
    expect(JSON.parse(JSON.stringify(job)).errorInfo).toMatchObject({
      description: 'no luck',
      moduleName: 'Jobs.js',
    });
  });
});
