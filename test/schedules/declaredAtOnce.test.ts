import type { ScheduledJob } from 'web-background-jobs';
import { startRedis } from '../redisServer';
import {
  createManager,
  describeEachIsolation,
  eventually,
  recordingLogger,
  tempDir,
  writeConfig,
} from '../helpers';

// The jobs declared in web.config are there from the first read: an application reads them right after making the
// manager, without awaiting scheduledJobs.ready.
jest.setTimeout(30_000);

const ATTACH = '    <add key="WebBackgroundJobs" value="attachAssembly" />';
/** A schedule that will not fire during a test. */
const NEW_YEAR = 'cron="0 0 1 1 *" timezone="UTC"';

/** A web.config declaring these `<scheduledJobs>` lines. */
const declaring = (...lines: string[]): string => writeConfig(ATTACH, tempDir(), lines.join('\n'));

const names = (jobs: ScheduledJob[]): string[] => jobs.map((job) => job.name);

describeEachIsolation(
  'scheduled jobs declared in web.config, read right after the manager is made',
  (isolation) => {
    test('get(), findByName(), findByUUID() and findPredefined() called at once, without awaiting ready, find the declared job', async () => {
      const config = declaring(`    <add name="Nightly" method="Reports.Build" ${NEW_YEAR} />`);
      const manager = createManager({ isolation, config });
      const { scheduledJobs } = manager;
      const uuid = manager.settings.scheduledJobs[0].data.uuid;
      const [all, byName, byUuid, predefined] = await Promise.all([
        scheduledJobs.get(),
        scheduledJobs.findByName('nightly'),
        scheduledJobs.findByUUID(uuid),
        scheduledJobs.findPredefined('Nightly'),
      ]);
      expect(names(all)).toEqual(['Nightly']);
      for (const found of [byName, byUuid, predefined]) {
        expect(found).toMatchObject({ name: 'Nightly', uuid, methodName: 'Reports.Build', predefined: true });
      }
    });

    test('a declared job whose method cannot run is left out of reads made at once; the job declared before it is there', async () => {
      const config = declaring(
        `    <add name="Good" method="Reports.Build" ${NEW_YEAR} />`,
        `    <add name="Typo" method="Reports.Biuld" ${NEW_YEAR} />`,
      );
      const manager = createManager({ isolation, config });
      const { scheduledJobs } = manager;
      const [all, typo, predefined] = await Promise.all([
        scheduledJobs.get(),
        scheduledJobs.findByName('Typo'),
        scheduledJobs.findPredefined('Typo'),
      ]);
      expect(names(all)).toEqual(['Good']);
      expect(typo).toBeUndefined();
      expect(predefined).toBeUndefined();
      await expect(scheduledJobs.ready).rejects.toMatchObject({ code: 'WBJ_CONFIG' });
      expect(names(await scheduledJobs.get())).toEqual(['Good']);
    });
  },
);

test('while Redis is unreachable at start-up, reads made at once fail with WBJ_STORE_UNAVAILABLE instead of waiting for it; the first read that reaches it again finds the declared job', async () => {
  const server = await startRedis({ persistent: true });
  await server.stop();
  const logger = recordingLogger();
  const config = declaring(`    <add name="Early" method="Reports.Build" ${NEW_YEAR} />`);
  const manager = createManager({ config, store: server.url, isolation: 'inline', logger });
  try {
    const { scheduledJobs } = manager;
    await expect(scheduledJobs.get()).rejects.toMatchObject({ code: 'WBJ_STORE_UNAVAILABLE' });
    await expect(scheduledJobs.findPredefined('Early')).rejects.toMatchObject({
      code: 'WBJ_STORE_UNAVAILABLE',
    });
    expect(logger.lines.warn.join('\n')).toMatch(/Scheduled job "Early" is not scheduled yet: .*unreachable/);
    await server.restart();
    let all: ScheduledJob[] = [];
    // Until the store has reconnected; the declarations' next retry may not have come yet.
    await eventually(async () => {
      all = await scheduledJobs.get();
    }, 10_000);
    expect(all).toEqual([expect.objectContaining({ name: 'Early', predefined: true })]);
  } finally {
    await manager.close({ graceSeconds: 0 });
    await server.stop();
  }
});
