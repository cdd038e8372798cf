import request from 'supertest';
import { backgroundJobsDashboard } from 'web-background-jobs';
import { appWithJobs, createManager, describeEachIsolation, writeConfig } from '../helpers';

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

  test('a job from execute has the empty userName, in its handler too, and none in its JSON', async () => {
    const job = await createManager({ isolation }).execute('Scheduled.UserName');
    await job.waitForCompletion();
    expect([job.userName, job.result]).toEqual(['', '']);
    expect(JSON.parse(JSON.stringify(job))).not.toHaveProperty('userName');
  });

  test("a run's toJSON and the dashboard's list and details show it", async () => {
    const { app, manager } = appWithJobs({ isolation });
    app.use('/jobs', backgroundJobsDashboard());
    const scheduled = manager.scheduledJobs.create({
      name: 'Shown',
      methodName: 'Reports.Echo',
      schedule: NEW_YEAR,
      userName: 'robot',
    });
    await scheduled.write();
    const run = await scheduled.runNow();
    const executed = await manager.execute('Reports.Echo');
    await manager.waitForCompletion([run, executed]);
    expect(run.toJSON().userName).toBe('robot');
    const { body } = await request(app).get('/jobs/api/jobs').expect(200);
    expect(body.jobs.map((job: { userName: string | null }) => job.userName)).toEqual([null, 'robot']);
    const details = await request(app).get(`/jobs/api/jobs/${run.uuid}`).expect(200);
    expect(details.body).toMatchObject({ scheduledJob: 'Shown', userName: 'robot' });
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
