import { type BackgroundJobsManager, type ScheduledJob } from 'web-background-jobs';
import { createManager, describeEachIsolation, useRedisStore, writeConfig } from '../helpers';

// 1C: a scheduled job declared in the configuration is metadata; a predefined one also has its job, and
// СоздатьРегламентноеЗадание(Метаданные) makes more jobs of it, known by their UUIDs.
jest.setTimeout(30_000);

const ATTACH = '    <add key="WebBackgroundJobs" value="attachAssembly" />';
/** A schedule that will not fire during a test: runs come from runNow() only. */
const NEW_YEAR = 'cron="0 0 1 1 *" timezone="UTC"';

/** A manager whose web.config declares `Exchange` (metadata only) and `Cleanup` (predefined). */
async function declaring(options: Parameters<typeof createManager>[0] = {}): Promise<BackgroundJobsManager> {
  const config = writeConfig(
    ATTACH,
    undefined,
    [
      `    <add name="Exchange" predefined="false" method="Reports.Echo" key="exchange" description="Exchange with a node" params='["node-1"]' ${NEW_YEAR} userName="robot" restartCountOnFailure="3" restartIntervalOnFailure="60" />`,
      `    <add name="Cleanup" method="Reports.Echo" params='["clean"]' ${NEW_YEAR} />`,
    ].join('\n'),
  );
  const manager = createManager({ config, ...options });
  await manager.scheduledJobs.ready;
  return manager;
}

const names = (jobs: ScheduledJob[]): string[] => jobs.map((job) => job.name);

describeEachIsolation('scheduled jobs as 1C metadata', (isolation) => {
  test('a declaration with predefined="false" is metadata only: no job of it exists, findPredefined refuses it', async () => {
    const manager = await declaring({ isolation });
    expect(names(await manager.scheduledJobs.get())).toEqual(['Cleanup']);
    await expect(manager.scheduledJobs.findPredefined('Exchange')).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining('predefined="false"'),
    });
  });

  test('findPredefined (НайтиПредопределенное) returns the predefined job, whose metadata is its declaration', async () => {
    const manager = await declaring({ isolation });
    const found = await manager.scheduledJobs.findPredefined('cleanup');
    expect(found?.toJSON()).toMatchObject({ name: 'Cleanup', predefined: true, metadata: 'Cleanup' });
    const inRussian = await manager.РегламентныеЗадания.НайтиПредопределенное('Cleanup');
    expect([inRussian?.Метаданные, inRussian?.Metadata, inRussian?.uuid]).toEqual([
      'Cleanup',
      'Cleanup',
      found?.uuid,
    ]);
  });

  test('findPredefined of a name declared nowhere rejects with WBJ_BAD_ARGUMENT naming it and the declared ones', async () => {
    const manager = await declaring({ isolation });
    await expect(manager.scheduledJobs.findPredefined('Cleanpu')).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringMatching(/got "Cleanpu"; did you mean Cleanup\? \(declared: Exchange, Cleanup\)/),
    });
    expect(() => manager.scheduledJobs.create('Nowhere')).toThrow(
      /got "Nowhere".*declared: Exchange, Cleanup/,
    );
  });

  test('create(metadataName) makes a job that is not predefined with everything of the declaration; it runs once written', async () => {
    const manager = await declaring({ isolation });
    const made = manager.scheduledJobs.create('exchange');
    expect(made.toJSON()).toEqual({
      uuid: made.uuid,
      name: `Exchange/${made.uuid}`,
      methodName: 'Reports.Echo',
      key: 'exchange',
      description: 'Exchange with a node',
      params: ['node-1'],
      use: true,
      schedule: { cron: '0 0 1 1 *', timezone: 'UTC' },
      predefined: false,
      metadata: 'Exchange',
      userName: 'robot',
      restartCountOnFailure: 3,
      restartIntervalOnFailure: 60,
    });
    made.params = ['node-2'];
    await made.write();
    const run = await made.runNow();
    await run.waitForCompletion();
    expect(run.result).toEqual(['node-2']);
    expect(run.scheduledJob?.metadata).toBe('Exchange');
  });

  test('the 1C idiom: СоздатьРегламентноеЗадание(Метаданные) twice gives two jobs of one metadata, each by its UUID', async () => {
    const manager = await declaring({ isolation });
    const РегламентныеЗадания = manager.РегламентныеЗадания;
    for (const node of ['A', 'B']) {
      const Задание = РегламентныеЗадания.СоздатьРегламентноеЗадание('Exchange');
      Задание.Параметры = [node];
      Задание.Расписание = { cron: '0 0 1 1 *', timezone: 'UTC' };
      Задание.Использование = true;
      await Задание.Записать();
    }
    const made = await РегламентныеЗадания.ПолучитьРегламентныеЗадания({ Метаданные: 'Exchange' });
    expect(made.map((job) => [job.Предопределенное, job.Параметры])).toEqual(
      expect.arrayContaining([
        [false, ['A']],
        [false, ['B']],
      ]),
    );
    expect(new Set(made.map((job) => job.uuid)).size).toBe(2);
  });

  test('the metadata filter matches the predefined job and those made from it, any case; create({…}) jobs have none', async () => {
    const manager = await declaring({ isolation });
    await manager.scheduledJobs.create('Cleanup').write();
    const plain = manager.scheduledJobs.create({
      name: 'Plain',
      methodName: 'Reports.Echo',
      schedule: { cron: '0 0 1 1 *' },
    });
    await plain.write();
    expect(plain.metadata).toBeUndefined();
    const ofCleanup = await manager.scheduledJobs.get({ metadata: 'CLEANUP' });
    expect(ofCleanup.map((job) => job.predefined).sort()).toEqual([false, true]);
    expect(names(await manager.scheduledJobs.get({ Metadata: 'Plain' }))).toEqual([]);
    await expect(manager.scheduledJobs.get({ metadata: 1 as unknown as string })).rejects.toThrow(
      'Scheduled-job filter key "metadata" must be a string, got 1',
    );
  });
});

describe('scheduled jobs as 1C metadata on Redis', () => {
  useRedisStore();

  test('a job made from metadata keeps its metadata, userName and retry fields across a restart', async () => {
    const queueName = `metadata-${process.pid}`;
    const first = await declaring({ queueName });
    const made = first.scheduledJobs.create('Exchange');
    made.ИмяПользователя = 'operator';
    made.КоличествоПовторовПриАварийномЗавершении = 2;
    await made.write();
    await first.close();
    const second = await declaring({ queueName });
    expect((await second.scheduledJobs.findByUUID(made.uuid))?.toJSON()).toEqual(made.toJSON());
  });
});
