import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BackgroundJobState,
  BackgroundJobsManager,
  type ScheduledJob,
  type ScheduledJobFilter,
  type ScheduledJobInit,
} from 'web-background-jobs';
import {
  createManager,
  describeEachIsolation,
  eventually,
  HANDLERS,
  recordingLogger,
  tempDir,
  writeConfig,
} from '../helpers';
import { startClock, type Ticks } from './clock';

// Real timers on schedules that fire every second: what the runs are, when they are skipped, and how a schedule
// is switched off. In memory (inline and thread) and on a Redis store, where BullMQ job schedulers fire them.
jest.setTimeout(30_000);

const EVERY_SECOND = { cron: '* * * * * *' };
/** A schedule that will not fire during a test: runs come from runNow() only. */
const NEW_YEAR = { cron: '0 0 1 1 *', timezone: 'UTC' };

async function written(manager: BackgroundJobsManager, init: ScheduledJobInit): Promise<ScheduledJob> {
  const job = manager.scheduledJobs.create(init);
  await job.write();
  return job;
}

/** The runs `Jobs.Append` has logged into `file`, one line each. */
function appended(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

/** A scheduled job that appends a line to a file of its own every second, once it has run once. */
async function appendingEverySecond(manager: BackgroundJobsManager, name: string) {
  const file = path.join(tempDir(), 'runs');
  const scheduled = await written(manager, {
    name,
    methodName: 'Jobs.Append',
    params: [file],
    schedule: EVERY_SECOND,
  });
  await eventually(() => expect(appended(file).length).toBeGreaterThanOrEqual(1), 6000);
  return { scheduled, runs: () => appended(file) };
}

/**
 * The runs of a schedule just stopped, once settled: a tick already under way when it stopped has started its run
 * by the clock's next tick, and every run has ended.
 */
async function runsWhenSettled(
  manager: BackgroundJobsManager,
  scheduled: ScheduledJob,
  runs: () => string[],
  ticks: Ticks,
): Promise<number> {
  await ticks(1);
  await eventually(async () => {
    const active = await manager.getBackgroundJobs({
      scheduledJob: scheduled,
      state: BackgroundJobState.Active,
    });
    expect(active).toEqual([]);
  }, 6000);
  return runs().length;
}

/** An array nested `depth` levels deep, built without recursion. */
function nested(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

describeEachIsolation('scheduled jobs', (isolation) => {
  test('every run is an ordinary background job: listed, with scheduledJob set, found by the { scheduledJob } filter', async () => {
    const manager = createManager({ isolation });
    const executed = await manager.execute('Reports.Build', [1, 'x']);
    const scheduled = await written(manager, {
      name: 'Ticker',
      methodName: 'Jobs.Messages',
      params: ['tick'],
      key: 'ticker',
      description: 'every second',
      schedule: EVERY_SECOND,
    });
    await eventually(async () => {
      const runs = await manager.getBackgroundJobs({
        scheduledJob: scheduled,
        state: BackgroundJobState.Completed,
      });
      expect(runs.length).toBeGreaterThanOrEqual(2);
    }, 6000);
    const runs = await manager.getBackgroundJobs({ scheduledJob: scheduled });
    for (const run of runs) {
      expect(run).toMatchObject({ methodName: 'Jobs.Messages', key: 'ticker', description: 'every second' });
      expect(run.scheduledJob).toMatchObject({ uuid: scheduled.uuid, name: 'Ticker' });
    }
    const completed = runs.filter((run) => run.state === BackgroundJobState.Completed);
    expect(completed[0].result).toBe(1);
    expect(completed[0].getUserMessages().map(({ text }) => text)).toEqual(['tick']);
    // Runs of one schedule, one per second: never two in the same second.
    const seconds = runs.map((run) => Math.floor(run.begin!.getTime() / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);
    expect(await manager.getBackgroundJobs({ scheduledJob: scheduled.uuid })).toEqual(runs);
    expect((await manager.getBackgroundJobs()).filter((job) => job.scheduledJob === undefined)).toEqual([
      executed,
    ]);
    expect(executed.toJSON().scheduledJob).toBeUndefined();
    expect(runs[0].toJSON().scheduledJob).toEqual({ uuid: scheduled.uuid, name: 'Ticker' });
    const reread = await manager.scheduledJobs.findByName('ticker');
    expect(reread?.lastJob?.begin?.getTime()).toBeGreaterThanOrEqual(runs[runs.length - 1].begin!.getTime());
  });

  test('a run is skipped, and the skip logged, while the previous run is still active; the next tick after it ends runs', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    const scheduled = await written(manager, {
      name: 'Slow',
      methodName: 'Jobs.Forever',
      schedule: EVERY_SECOND,
    });
    await eventually(async () => {
      expect(logger.lines.warn.join('\n')).toMatch(
        /Scheduled job "Slow" skipped its run due at \S+Z: the previous run \S+ of scheduled job "Slow" is still active/,
      );
    }, 6000);
    const [first, ...others] = await manager.getBackgroundJobs({ scheduledJob: scheduled });
    expect(others).toEqual([]);
    expect(first.state).toBe(BackgroundJobState.Active);
    await first.cancel();
    await eventually(async () => {
      expect(await manager.getBackgroundJobs({ scheduledJob: scheduled })).toHaveLength(2);
    }, 6000);
  });

  test('a run is skipped while another active job of the method holds its key (1C key rule)', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    const holder = await manager.execute('Jobs.Forever', [], 'nightly');
    const scheduled = await written(manager, {
      name: 'Keyed',
      methodName: 'Jobs.Forever',
      key: 'nightly',
      schedule: EVERY_SECOND,
    });
    await eventually(() => {
      expect(logger.lines.warn.join('\n')).toContain(`Scheduled job "Keyed" skipped its run due at`);
      expect(logger.lines.warn.join('\n')).toContain(holder.uuid);
    }, 6000);
    expect(await manager.getBackgroundJobs({ scheduledJob: scheduled })).toEqual([]);
    await holder.cancel();
    await eventually(async () => {
      expect(await manager.getBackgroundJobs({ scheduledJob: scheduled })).toHaveLength(1);
    }, 6000);
  });

  test('runNow() starts a run at once, outside the schedule, and refuses while that run is active', async () => {
    const manager = createManager({ isolation });
    const unsaved = manager.scheduledJobs.create({
      name: 'Manual',
      methodName: 'Jobs.Forever',
      schedule: NEW_YEAR,
    });
    await expect(unsaved.runNow()).rejects.toMatchObject({
      code: 'WBJ_NOT_SAVED',
      message: expect.stringContaining('Scheduled job "Manual" is not saved (write() it first)'),
    });
    await unsaved.write();
    const run = await unsaved.runNow();
    expect(run.scheduledJob?.uuid).toBe(unsaved.uuid);
    expect(unsaved.lastJob).toBe(run);
    await expect(unsaved.runNow()).rejects.toMatchObject({
      code: 'WBJ_PREVIOUS_RUN_ACTIVE',
      message: expect.stringContaining(
        `the previous run ${run.uuid} of scheduled job "Manual" is still active`,
      ),
    });
    expect((await manager.scheduledJobs.findByUUID(unsaved.uuid))?.lastJob?.uuid).toBe(run.uuid);
    await run.cancel();
    expect((await unsaved.runNow()).uuid).not.toBe(run.uuid);
  });

  test('runNow() of a scheduled job deleted since it was written rejects with WBJ_NOT_SAVED and starts nothing', async () => {
    const manager = createManager({ isolation });
    const job = await written(manager, { name: 'Deleted', methodName: 'Reports.Build', schedule: NEW_YEAR });
    await job.delete();
    await expect(job.runNow()).rejects.toMatchObject({
      code: 'WBJ_NOT_SAVED',
      message:
        'Scheduled job "Deleted" is not saved (write() it first) or was deleted; runNow() runs what is saved',
    });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test('runNow() tells its previous run still active (WBJ_PREVIOUS_RUN_ACTIVE) from another job holding its key (WBJ_KEY_CONFLICT)', async () => {
    const manager = createManager({ isolation });
    const scheduled = await written(manager, {
      name: 'Guarded',
      methodName: 'Jobs.Forever',
      key: 'guard',
      schedule: NEW_YEAR,
    });
    const run = await scheduled.runNow();
    await expect(scheduled.runNow()).rejects.toMatchObject({
      code: 'WBJ_PREVIOUS_RUN_ACTIVE',
      message: `the previous run ${run.uuid} of scheduled job "Guarded" is still active`,
    });
    await run.cancel();
    const holder = await manager.execute('Jobs.Forever', [], 'guard');
    await expect(scheduled.runNow()).rejects.toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
      message: expect.stringContaining(holder.uuid),
    });
    await holder.cancel();
  });

  test('write() of a name another scheduled job has, whatever its case, rejects with WBJ_NAME_TAKEN naming the holder', async () => {
    const manager = createManager({ isolation });
    const holder = await written(manager, {
      name: 'Nightly',
      methodName: 'Reports.Build',
      schedule: NEW_YEAR,
    });
    const twin = manager.scheduledJobs.create({
      name: 'NIGHTLY',
      methodName: 'Reports.Echo',
      schedule: NEW_YEAR,
    });
    await expect(twin.write()).rejects.toMatchObject({
      code: 'WBJ_NAME_TAKEN',
      message: `A scheduled job named "NIGHTLY" exists already (${holder.uuid}); scheduled job names are unique, whatever their case`,
    });
    expect((await manager.scheduledJobs.get()).map(({ uuid, methodName }) => [uuid, methodName])).toEqual([
      [holder.uuid, 'Reports.Build'],
    ]);
  });

  test('the name of a deleted scheduled job, whatever its case, is free for another', async () => {
    const manager = createManager({ isolation });
    const first = await written(manager, {
      name: 'Nightly',
      methodName: 'Reports.Build',
      schedule: NEW_YEAR,
    });
    await first.delete();
    const second = await written(manager, {
      name: 'NIGHTLY',
      methodName: 'Reports.Echo',
      schedule: NEW_YEAR,
    });
    expect((await manager.scheduledJobs.get()).map(({ uuid, name }) => [uuid, name])).toEqual([
      [second.uuid, 'NIGHTLY'],
    ]);
  });

  test('use false stops the schedule once written, use true starts it again; nextRun follows what was written', async () => {
    const manager = createManager({ isolation });
    const { scheduled, runs } = await appendingEverySecond(manager, 'Switch');
    const ticks = await startClock(manager);
    expect(scheduled.nextRun!.getTime() - Date.now()).toBeLessThanOrEqual(1000);
    scheduled.use = false;
    expect(scheduled.nextRun).toBeDefined(); // not written yet
    await scheduled.write();
    expect(scheduled.nextRun).toBeUndefined();
    const runsWhileOff = await runsWhenSettled(manager, scheduled, runs, ticks);
    await ticks(2);
    expect(runs()).toHaveLength(runsWhileOff);
    expect((await manager.scheduledJobs.findByName('Switch'))?.use).toBe(false);
    scheduled.use = true;
    await scheduled.write();
    await eventually(() => expect(runs().length).toBeGreaterThan(runsWhileOff), 6000);
  });

  test('delete() stops the schedule and removes the scheduled job; its runs stay', async () => {
    const manager = createManager({ isolation });
    const { scheduled, runs } = await appendingEverySecond(manager, 'Doomed');
    const ticks = await startClock(createManager({ isolation }));
    await scheduled.delete();
    expect(await manager.scheduledJobs.findByUUID(scheduled.uuid)).toBeUndefined();
    expect(await manager.scheduledJobs.get()).toEqual([]);
    const runsWhenDeleted = await runsWhenSettled(manager, scheduled, runs, ticks);
    await ticks(2);
    expect(runs()).toHaveLength(runsWhenDeleted);
    expect((await manager.getBackgroundJobs({ scheduledJob: scheduled })).length).toBeGreaterThanOrEqual(1);
  });

  test('close() stops every schedule of the manager', async () => {
    const manager = createManager({ isolation });
    const { runs } = await appendingEverySecond(manager, 'Closing');
    const ticks = await startClock(createManager({ isolation }));
    await manager.close();
    const runsWhenClosed = runs().length;
    await ticks(2);
    expect(runs()).toHaveLength(runsWhenClosed);
    await expect(manager.scheduledJobs.get()).rejects.toMatchObject({ code: 'WBJ_CLOSED' });
  });

  test('a job declared in web.config is predefined, runs on its schedule, and cannot be deleted (WBJ_PREDEFINED)', async () => {
    const file = path.join(tempDir(), 'runs');
    const config = writeConfig(
      '    <add key="WebBackgroundJobs" value="attachAssembly" />',
      tempDir(),
      `    <add name="Declared" method="Jobs.Append" params='${JSON.stringify([file])}' cron="* * * * * *" description="from web.config" />`,
    );
    const manager = createManager({ isolation, config });
    await manager.scheduledJobs.ready;
    const [declared] = await manager.scheduledJobs.get({ predefined: true });
    expect(declared.toJSON()).toMatchObject({
      name: 'Declared',
      methodName: 'Jobs.Append',
      params: [file],
      use: true,
      schedule: { cron: '* * * * * *' },
      description: 'from web.config',
      predefined: true,
    });
    await eventually(() => expect(appended(file).length).toBeGreaterThanOrEqual(1), 6000);
    await expect(declared.delete()).rejects.toMatchObject({
      code: 'WBJ_PREDEFINED',
      message: expect.stringContaining(
        'Scheduled job "Declared" is declared in web.config and cannot be deleted',
      ),
    });
  });
});

describe('scheduled jobs through the API', () => {
  test('a misspelt create() field or get() filter key is refused with the name it resembles', async () => {
    const { scheduledJobs } = createManager();
    expect(() =>
      scheduledJobs.create({
        name: 'Typo',
        methodName: 'Reports.Build',
        schedule: NEW_YEAR,
        descripton: 'x',
      } as ScheduledJobInit),
    ).toThrow(
      expect.objectContaining({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringContaining(
          'unknown field "descripton" (did you mean description?); expected name, methodName',
        ),
      }),
    );
    await expect(scheduledJobs.get({ nme: 'Typo' } as ScheduledJobFilter)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining(
        'Unknown scheduled-job filter key "nme" (did you mean name or Name?); expected',
      ),
    });
    await expect(scheduledJobs.get({ Испльзование: true } as ScheduledJobFilter)).rejects.toMatchObject({
      message: expect.stringContaining('"Испльзование" (did you mean Использование?)'),
    });
  });

  test('create() checks every field and names the bad one', () => {
    const { scheduledJobs } = createManager();
    const base = { name: 'Bad', methodName: 'Reports.Build', schedule: NEW_YEAR };
    const refused = (init: unknown, code: string, message: string | RegExp) =>
      expect(() => scheduledJobs.create(init as ScheduledJobInit)).toThrow(
        expect.objectContaining({
          code,
          message:
            typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
        }),
      );
    refused({ ...base, every: 5 }, 'WBJ_BAD_ARGUMENT', 'unknown field "every"');
    refused({ ...base, name: '' }, 'WBJ_BAD_ARGUMENT', /name must be a non-empty string.*got ""/);
    refused({ ...base, methodName: '../etc.passwd' }, 'WBJ_BAD_METHOD_NAME', '"../etc.passwd" is not valid');
    refused(
      { ...base, params: [new Date(0)] },
      'WBJ_BAD_ARGUMENT',
      'Scheduled job "Bad": params[0] is a Date',
    );
    refused(
      { ...base, params: [nested(5_000)] },
      'WBJ_BAD_ARGUMENT',
      /^Scheduled job "Bad": params\[0\](\[0\])+.* is nested deeper than 1000 levels; /,
    );
    refused({ ...base, use: 'yes' }, 'WBJ_BAD_ARGUMENT', 'use must be true or false, got "yes"');
    refused(
      { ...base, schedule: { cron: 'often' } },
      'WBJ_BAD_ARGUMENT',
      'Scheduled job "Bad": cron "often"',
    );
    refused(
      7,
      'WBJ_BAD_ARGUMENT',
      /create\(\) takes the name of a scheduled job declared in web.config, or \{ name, methodName, schedule/,
    );
    refused(
      { ...base, restartCountOnFailure: 1.5 },
      'WBJ_BAD_ARGUMENT',
      'Scheduled job "Bad": restartCountOnFailure must be a whole number from 0 to 1000, got 1.5',
    );
    refused(
      { ...base, userName: 7 },
      'WBJ_BAD_ARGUMENT',
      'Scheduled job "Bad": userName must be a string, got 7',
    );
  });

  test('params nested thousands of levels deep in web.config stop start-up with WBJ_CONFIG naming the job', () => {
    const depth = 5_000;
    const config = writeConfig(
      '    <add key="WebBackgroundJobs" value="attachAssembly" />',
      undefined,
      `    <add name="Deep" method="Reports.Build" cron="* * * * *" params="${'['.repeat(depth)}${']'.repeat(depth)}" />`,
    );
    expect(() => new BackgroundJobsManager({ config, logger: recordingLogger() })).toThrow(
      expect.objectContaining({
        code: 'WBJ_CONFIG',
        message: expect.stringMatching(
          /^Scheduled job "Deep": params: params\[0\](\[0\])+.* is nested deeper than 1000 levels; /,
        ),
      }),
    );
  });

  test('write() refuses a second scheduled job with the same name, whatever its case, and a method that does not exist', async () => {
    const manager = createManager();
    const { scheduledJobs } = manager;
    await written(manager, { name: 'Report', methodName: 'Reports.Build', schedule: NEW_YEAR });
    await expect(
      scheduledJobs.create({ name: 'REPORT', methodName: 'Reports.Build', schedule: NEW_YEAR }).write(),
    ).rejects.toMatchObject({
      code: 'WBJ_NAME_TAKEN',
      message: expect.stringContaining('named "REPORT" exists already'),
    });
    await expect(
      scheduledJobs.create({ name: 'Missing', methodName: 'Reports.Nothing', schedule: NEW_YEAR }).write(),
    ).rejects.toMatchObject({ code: 'WBJ_HANDLER_NOT_FOUND' });
    expect((await scheduledJobs.get()).map((job) => job.name)).toEqual(['Report']);
  });

  test('the { scheduledJob } filter of getBackgroundJobs takes a ScheduledJob or its UUID, and names anything else', async () => {
    const manager = createManager();
    const scheduled = await written(manager, {
      name: 'Filtered',
      methodName: 'Reports.Build',
      schedule: NEW_YEAR,
    });
    const run = await scheduled.runNow();
    await manager.execute('Reports.Build');
    expect(await manager.getBackgroundJobs({ РегламентноеЗадание: scheduled })).toEqual([run]);
    expect(await manager.getBackgroundJobs({ scheduledJob: scheduled.uuid.toUpperCase() })).toEqual([run]);
    await expect(manager.getBackgroundJobs({ scheduledJob: 'Filtered' })).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining(
        'Filter key "scheduledJob" must be a ScheduledJob (from manager.scheduledJobs) or its UUID, got "Filtered"',
      ),
    });
  });

  test('get() filters by every field, by English or 1C name; an unknown key is an error', async () => {
    const manager = createManager();
    await written(manager, { name: 'On', methodName: 'Reports.Build', key: 'k', schedule: NEW_YEAR });
    await written(manager, { name: 'Off', methodName: 'Reports.Echo', use: false, schedule: NEW_YEAR });
    const names = async (filter: object) =>
      (await manager.scheduledJobs.get(filter as never)).map((job) => job.name);
    expect(await names({})).toEqual(['Off', 'On']);
    expect(await names({ use: false })).toEqual(['Off']);
    expect(await names({ Использование: true })).toEqual(['On']);
    expect(await names({ methodName: 'reports.echo' })).toEqual(['Off']);
    expect(await names({ Ключ: 'k', predefined: false })).toEqual(['On']);
    await expect(names({ cron: 'x' })).rejects.toMatchObject({ code: 'WBJ_BAD_ARGUMENT' });
    await expect(names({ use: 'yes' })).rejects.toMatchObject({
      message: expect.stringContaining('"use" must be a boolean, got "yes"'),
    });
  });

  test('the 1C names work: РегламентныеЗадания, СоздатьРегламентноеЗадание, Использование, Расписание, Параметры, Записать, Удалить', async () => {
    const manager = createManager();
    const job = manager.РегламентныеЗадания.СоздатьРегламентноеЗадание({
      name: 'Отчёт',
      methodName: 'Reports.Build',
      schedule: NEW_YEAR,
    });
    job.Использование = false;
    job.Расписание = { beginTime: '03:00', timezone: 'UTC' };
    job.Параметры = [1, 'a'];
    await job.Записать();
    const [found] = await manager.ScheduledJobs.ПолучитьРегламентныеЗадания({ Имя: 'отчёт' });
    expect(found).toMatchObject({ Использование: false, Параметры: [1, 'a'], Предопределенное: false });
    expect(found.Расписание.toJSON()).toEqual({ beginTime: '03:00:00', timezone: 'UTC' });
    expect(
      (await manager.scheduledJobs.НайтиПоУникальномуИдентификатору(job.УникальныйИдентификатор))?.Имя,
    ).toBe('Отчёт');
    await found.Удалить();
    expect(await manager.scheduledJobs.FindByName('Отчёт')).toBeUndefined();
  });

  test('a declared job whose method cannot run is logged and rejects ready with WBJ_CONFIG naming the job and its method', async () => {
    const logger = recordingLogger();
    const config = writeConfig(
      '    <add key="WebBackgroundJobs" value="attachAssembly" />',
      tempDir(),
      '    <add name="Typo" method="Reports.Biuld" cron="0 3 * * *" />',
    );
    const manager = createManager({ config, logger, handlers: HANDLERS });
    await expect(manager.scheduledJobs.ready).rejects.toMatchObject({
      code: 'WBJ_CONFIG',
      message: expect.stringMatching(
        /Scheduled job "Typo" has a method that cannot run.*method "Reports.Biuld".*line 7/,
      ),
    });
    expect(logger.lines.error[0]).toContain('Scheduled job "Typo"');
    expect(await manager.scheduledJobs.get()).toEqual([]);
  });
});
