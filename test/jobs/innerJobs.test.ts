import {
  BackgroundJobs,
  BackgroundJobState,
  type BackgroundJob,
  type BackgroundJobsManager,
  ФоновыеЗадания,
} from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually } from '../helpers';

/** Runs `methodName` on `manager` and resolves with the job once it has ended. */
async function run(
  manager: BackgroundJobsManager,
  methodName: string,
  params: unknown[] = [],
): Promise<BackgroundJob> {
  const job = await manager.execute(methodName, params);
  await manager.waitForExecutionCompletion([job]);
  return job;
}

// Three workers in thread isolation: a parent and a child waiting hold two, the third runs the grandchild.
describeEachIsolation('ФоновыеЗадания inside a job', (isolation) => {
  test('a parent starts children, waits on them and collects their results (БСП pattern)', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.Собрать', [1, 2, 3]);
    expect([parent.state, parent.result]).toEqual([BackgroundJobState.Completed, [10, 20, 30]]);
    const children = await manager.getBackgroundJobs({ methodName: 'Дети.Считать' });
    expect(children.map((child) => child.result)).toEqual([10, 20, 30]);
  });

  test("a child's failure rejects the parent's wait with WBJ_JOBS_FAILED naming the child", async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.СПадающимРебенком');
    const answer = parent.result as Record<string, unknown>;
    expect(answer).toEqual({
      code: 'WBJ_JOBS_FAILED',
      failed: [answer.bad],
      bad: expect.any(String),
      badState: BackgroundJobState.Failed,
      description: expect.stringContaining('ребенок упал'),
      goodResult: 10,
    });
  });

  test("options in the key's place of ФоновыеЗадания.Выполнить get the hint that options are the fifth argument", async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.ПараметрыВместоКлюча');
    expect(parent.result).toEqual({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining(
        'are the fifth argument: execute(methodName, params, key, description, options)',
      ),
    });
  });

  test('ПолучитьТекущее inside a job is the job itself', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.Текущее');
    expect(parent.result).toBe(parent.uuid);
  });

  test('НайтиПоУникальномуИдентификатору finds a child, whose own wait brings it up to date', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.Найти');
    expect(parent.result).toEqual({
      same: true,
      result: 40,
      state: BackgroundJobState.Completed,
      none: true,
    });
  });

  test('ПолучитьФоновыеЗадания with a filter lists the matching jobs only', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.Отобрать');
    const { found, keyed, keyedState } = parent.result as Record<string, unknown>;
    expect(found).toEqual([keyed]);
    expect(keyedState).toBe(BackgroundJobState.Canceled); // its view's cancel went to the manager
    expect(parent.state).toBe(BackgroundJobState.Completed);
  });

  test('a key conflict inside a job is caught there by its code', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.КонфликтКлюча');
    expect(parent.result).toEqual({
      code: 'WBJ_KEY_CONFLICT',
      name: 'BackgroundJobsError',
      firstState: BackgroundJobState.Canceled,
    });
  });

  test("a child's ОжидатьЗавершенияВыполнения view comes back finished, with its result", async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.ОжидатьВыполнения');
    expect(parent.result).toEqual({ state: BackgroundJobState.Completed, result: 70, hasEnd: true });
  });

  test("a child's messages read through its view are user messages, by their 1C names, in БСП's polling loop", async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.ЧитатьСообщения');
    expect(parent.result).toEqual([0, 1, 2].map((номер) => [`сообщение ${номер}`, 'Сумма', 'function']));
  });

  test('a view cancelled inside a job reads Canceled, and so does the job', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.ОтменитьРебенка');
    expect(parent.result).toBe(BackgroundJobState.Canceled);
    const [child] = await manager.getBackgroundJobs({ methodName: 'Дети.Ждать' });
    expect(child!.state).toBe(BackgroundJobState.Canceled);
  });

  test('cancelling a parent leaves its children running, as 1C does', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await manager.execute('Родитель.ЖдатьВечныхДетей', [2]);
    await eventually(async () =>
      expect(await manager.getBackgroundJobs({ methodName: 'Дети.Ждать' })).toHaveLength(2),
    );
    await parent.cancel();
    expect(parent.state).toBe(BackgroundJobState.Canceled);
    const children = await manager.getBackgroundJobs({ methodName: 'Дети.Ждать' });
    expect(children.map((child) => child.state)).toEqual([
      BackgroundJobState.Active,
      BackgroundJobState.Active,
    ]);
    await Promise.all(children.map((child) => child.cancel()));
  });

  test('a child waiting on all jobs skips its parent, which waits on it', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.РебенокЖдетВсех', [5]);
    expect([parent.state, parent.result]).toEqual([BackgroundJobState.Completed, 'waited']);
  });

  test('a grandchild waiting on all jobs skips its parent and grandparent', async () => {
    const manager = createManager({ isolation, maxThreads: 3 });
    const parent = await run(manager, 'Родитель.ВнукЖдетВсех', [5]);
    expect([parent.state, parent.result]).toEqual([BackgroundJobState.Completed, 'waited']);
  });
});

describeEachIsolation('ФоновыеЗадания outside jobs', () => {
  test('every call fails with WBJ_NO_CURRENT_JOB naming the call', async () => {
    await expect(ФоновыеЗадания.Выполнить('Дети.Считать', [1])).rejects.toMatchObject({
      code: 'WBJ_NO_CURRENT_JOB',
      message: expect.stringContaining('ФоновыеЗадания.execute("Дети.Считать")'),
    });
    await expect(BackgroundJobs.WaitForCompletion()).rejects.toMatchObject({
      code: 'WBJ_NO_CURRENT_JOB',
      message: expect.stringContaining('ФоновыеЗадания.waitForCompletion()'),
    });
    await expect(ФоновыеЗадания.ОжидатьЗавершенияВыполнения()).rejects.toMatchObject({
      code: 'WBJ_NO_CURRENT_JOB',
    });
    await expect(ФоновыеЗадания.ПолучитьФоновыеЗадания()).rejects.toMatchObject({
      code: 'WBJ_NO_CURRENT_JOB',
    });
    await expect(ФоновыеЗадания.findByUUID('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      code: 'WBJ_NO_CURRENT_JOB',
    });
    expect(() => ФоновыеЗадания.ПолучитьТекущее()).toThrow(
      expect.objectContaining({ code: 'WBJ_NO_CURRENT_JOB' }),
    );
  });

  test('its members cannot be assigned, nor new ones added', () => {
    const loose = ФоновыеЗадания as unknown as Record<string, unknown>;
    expect(() => (loose.Выполнить = () => undefined)).toThrow(
      expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT' }),
    );
    expect(() => (loose.ВыполнитьВсе = 1)).toThrow(expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT' }));
    expect(BackgroundJobs).toBe(ФоновыеЗадания);
    expect(ФоновыеЗадания.Execute).toBe(ФоновыеЗадания.execute);
  });
});

// A job waiting inside its handler holds its running slot (its worker, in thread isolation) while it waits.
describeEachIsolation('waits inside jobs and the running slots', (isolation) => {
  const withSlots = (slots: number) => createManager({ isolation, maxThreads: slots, maxConcurrency: slots });

  test('with one slot, a wait without a timeout for a child is refused with WBJ_WAIT_DEADLOCK', async () => {
    const manager = withSlots(1);
    const parent = await run(manager, 'Родитель.ЖдатьБезТаймаута');
    expect(parent.result).toBe('WBJ_WAIT_DEADLOCK');
    const [child] = await manager.getBackgroundJobs({ methodName: 'Дети.Считать' });
    await child!.waitForCompletion(); // it runs once the parent has freed the slot
    expect(child!.result).toBe(20);
  });

  test('with one slot, a wait with a timeout for a child times out instead, and the child runs after', async () => {
    const manager = withSlots(1);
    const parent = await run(manager, 'Родитель.ЖдатьБезТаймаута', [0.2]);
    expect(parent.result).toBe('WBJ_WAIT_TIMEOUT');
    const [child] = await manager.getBackgroundJobs({ methodName: 'Дети.Считать' });
    await child!.waitForCompletion();
    expect(child!.result).toBe(20);
  });

  test('with two slots, a parent holding one still gets its child run in the other', async () => {
    const manager = withSlots(2);
    const parent = await run(manager, 'Родитель.ЖдатьБезТаймаута');
    expect(parent.result).toBe(20);
  });

  test('parents in every slot waiting on queued children: the last wait is refused, no parent stays Active for it', async () => {
    const manager = withSlots(2);
    const parents = await Promise.all([
      manager.execute('Родитель.ЖдатьВечныхДетей', [1]),
      manager.execute('Родитель.ЖдатьВечныхДетей', [1]),
    ]);
    // The first wait leaves the other slot to the children; the second would leave none, for ever.
    await eventually(
      () =>
        expect(parents.map((parent) => parent.state).sort()).toEqual(
          [BackgroundJobState.Active, BackgroundJobState.Failed].sort(),
        ),
      15_000,
    );
    const refused = parents.find((parent) => parent.state === BackgroundJobState.Failed)!;
    expect(refused.errorInfo).toMatchObject({
      code: 'WBJ_WAIT_DEADLOCK',
      description: expect.stringContaining('every one of the 2 jobs that may run at once'),
    });
    // Its slot is free again: a child runs there, and the other parent's wait goes on.
    await eventually(async () =>
      expect(
        await manager.getBackgroundJobs({ methodName: 'Дети.Ждать', state: BackgroundJobState.Active }),
      ).toHaveLength(2),
    );
  });
});
