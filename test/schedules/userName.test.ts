import { createManager, describeEachIsolation, writeConfig } from '../helpers';

// 1C: a scheduled job runs in a session of its ИмяПользователя; here the run carries it as job.userName.
jest.setTimeout(30_000);

const NEW_YEAR = { cron: '0 0 1 1 *', timezone: 'UTC' };

describeEachIsolation('the userName of a scheduled job', (isolation) => {
  test('each run carries it as job.userName, and the handler reads it as currentJob().userName', async () => {
    const manager = createManager({ isolation });
    const scheduled = manager.scheduledJobs.create({
      name: 'AsUser',
      methodName: 'Scheduled.UserName',
      schedule: NEW_YEAR,
      userName: 'Иванов',
    });
    await scheduled.write();
    const run = await scheduled.runNow();
    await run.waitForCompletion();
    expect([run.userName, run.ИмяПользователя, run.result]).toEqual(['Иванов', 'Иванов', 'Иванов']);
    const [listed] = await manager.getBackgroundJobs({ scheduledJob: scheduled });
    expect(listed.userName).toBe('Иванов');
  });

  test('a job from execute has the empty userName, in its handler too', async () => {
    const job = await createManager({ isolation }).execute('Scheduled.UserName');
    await job.waitForCompletion();
    expect([job.userName, job.result]).toEqual(['', '']);
  });

  test('assigned by ИмяПользователя, it is stored, shown by toJSON, and reaches the next run', async () => {
    const manager = createManager({ isolation });
    const Задание = manager.РегламентныеЗадания.СоздатьРегламентноеЗадание({
      name: 'Renamed',
      methodName: 'Scheduled.UserName',
      schedule: NEW_YEAR,
    });
    expect(Задание.ИмяПользователя).toBe('');
    Задание.ИмяПользователя = 'Петров';
    await Задание.Записать();
    const stored = await manager.scheduledJobs.findByName('Renamed');
    expect(stored?.toJSON()).toMatchObject({ userName: 'Петров' });
    const run = await stored!.runNow();
    await run.waitForCompletion();
    expect(run.result).toBe('Петров');
    expect(() => {
      Задание.UserName = 42 as unknown as string;
    }).toThrow('Scheduled job "Renamed": userName must be a string, got 42');
  });

  test('a declared job takes it from the userName attribute', async () => {
    const config = writeConfig(
      '    <add key="WebBackgroundJobs" value="attachAssembly" />',
      undefined,
      '    <add name="Nightly" method="Scheduled.UserName" userName="robot" cron="0 0 1 1 *" />',
    );
    const manager = createManager({ isolation, config });
    const nightly = await manager.scheduledJobs.findPredefined('Nightly');
    const run = await nightly!.runNow();
    await run.waitForCompletion();
    expect([nightly!.userName, run.result]).toEqual(['robot', 'robot']);
  });
});
