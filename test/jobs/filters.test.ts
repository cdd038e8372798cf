import assert from 'node:assert';
import { BackgroundJobState, СостояниеФоновогоЗадания, type Isolation } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

async function threeJobs(isolation: Isolation) {
  const manager = createManager({ isolation });
  const report = await manager.execute('Reports.Build', [1, 'a'], 'K1', 'Monthly report');
  await report.waitForCompletion();
  const echo = await manager.execute('Reports.Echo', [], 'K2', 'Echo');
  await echo.waitForCompletion();
  const running = await manager.execute('Jobs.Forever', [], 'K1', 'Running');
  return { manager, report, echo, running };
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describeEachIsolation('getBackgroundJobs filters', (isolation) => {
  test('without a filter it lists active and finished jobs in the order executed', async () => {
    const { manager, report, echo, running } = await threeJobs(isolation);
    expect(await manager.getBackgroundJobs()).toEqual([report, echo, running]);
    await running.cancel();
  });

  test('each English key filters by equality, and all given keys must match', async () => {
    const { manager, report, echo, running } = await threeJobs(isolation);
    expect(await manager.getBackgroundJobs({ key: 'K1' })).toEqual([report, running]);
    expect(await manager.getBackgroundJobs({ key: 'K1', state: BackgroundJobState.Active })).toEqual([
      running,
    ]);
    expect(await manager.getBackgroundJobs({ uuid: echo.uuid })).toEqual([echo]);
    expect(await manager.getBackgroundJobs({ description: 'Monthly report' })).toEqual([report]);
    expect(await manager.getBackgroundJobs({ methodName: 'reports.echo' })).toEqual([echo]);
    // Jobs can begin and end within one millisecond, so a date may match more than one job.
    const sameBegin = await manager.getBackgroundJobs({ begin: report.begin });
    expect(sameBegin).toContain(report);
    expect(sameBegin.every((job) => job.begin!.getTime() === report.begin!.getTime())).toBe(true);
    const sameEnd = await manager.getBackgroundJobs({ end: echo.end });
    expect(sameEnd).toContain(echo);
    expect(sameEnd.every((job) => job.end!.getTime() === echo.end!.getTime())).toBe(true);
    expect(await manager.getBackgroundJobs({ key: undefined, state: undefined })).toHaveLength(3);
    await running.cancel();
  });

  test('keys given as undefined are left out, so optional inputs can be passed straight through', async () => {
    const { manager, running } = await threeJobs(isolation);
    expect(await manager.getBackgroundJobs({ key: undefined, description: 'Running' })).toEqual([running]);
  });

  test('the 1C names filter the same way, with 1C state names', async () => {
    const { manager, report, running } = await threeJobs(isolation);
    expect(
      await manager.getBackgroundJobs({ Ключ: 'K1', Состояние: СостояниеФоновогоЗадания.Активно }),
    ).toEqual([running]);
    expect(
      await manager.getBackgroundJobs({ ИмяМетода: 'Reports.Build', УникальныйИдентификатор: report.uuid }),
    ).toEqual([report]);
    expect(await manager.ПолучитьФоновыеЗадания({ Наименование: 'Running', Начало: running.begin })).toEqual([
      running,
    ]);
    expect(await manager.GetBackgroundJobs({ Key: 'K2', State: 'Completed' })).toHaveLength(1);
    await running.cancel();
  });

  test('state takes an array of states, any of which matches, as БСП passes Новый Массив of them', async () => {
    const { manager, report, echo, running } = await threeJobs(isolation);
    const failed = await manager.execute('Jobs.Fail', ['x'], 'K3');
    await failed.waitForExecutionCompletion();
    const uuids = async (filter: object) => (await manager.getBackgroundJobs(filter)).map((job) => job.uuid);
    expect(await uuids({ state: [BackgroundJobState.Completed, BackgroundJobState.Failed] })).toEqual([
      report.uuid,
      echo.uuid,
      failed.uuid,
    ]);
    expect(
      await uuids({
        Ключ: 'K1',
        Состояние: [СостояниеФоновогоЗадания.Активно, СостояниеФоновогоЗадания.Отменено],
      }),
    ).toEqual([running.uuid]);
    expect(await uuids({ state: [BackgroundJobState.Canceled] })).toEqual([]);
    await running.cancel();
    expect(await uuids({ State: Object.freeze(['Canceled', 'Failed']) })).toEqual([
      running.uuid,
      failed.uuid,
    ]);
  });

  test('a state is named in any case or by its 1C name, alone or in an array: active, Active, Активно', async () => {
    const { manager, report, echo, running } = await threeJobs(isolation);
    // Widened to object: the type names the canonical states, JavaScript callers and query strings pass any case.
    const list = (filter: object) => manager.getBackgroundJobs(filter);
    for (const state of ['active', 'Active', 'ACTIVE', 'Активно', 'активно'])
      expect(await list({ state })).toEqual([running]);
    expect(await manager.ПолучитьФоновыеЗадания({ Состояние: 'завершено' } as object)).toEqual([
      report,
      echo,
    ]);
    await running.cancel();
    expect(await list({ State: ['canceled', 'ОТМЕНЕНО', 'completed'] })).toEqual([report, echo, running]);
  });

  test.each([
    [
      'an unknown key',
      { colour: 'red' },
      /Unknown filter key "colour"; expected one of uuid, key, methodName/,
    ],
    [
      'a misspelt key, with the key it resembles',
      { stat: 'Active' },
      /Unknown filter key "stat" \(did you mean state or State\?\); expected one of uuid/,
    ],
    ['a misspelt 1C key, with the 1C key it resembles', { Ключь: 'K1' }, /"Ключь" \(did you mean Ключ\?\)/],
    [
      'a state that does not exist, with the accepted states',
      { state: 'Done' },
      /"state" must be a BackgroundJobState \(Active, Completed, Failed, Canceled\) in any case or by its 1C name \(Активно, Завершено, ЗавершеноАварийно, Отменено\), or a non-empty array of them; got "Done"$/,
    ],
    [
      'a misspelt state, with the state it resembles',
      { state: 'actve' },
      /got "actve" \(did you mean Active\?\)$/,
    ],
    [
      'a misspelt 1C state in an array, with the state it resembles',
      { Состояние: ['Active', 'Завершенно'] },
      /item \[1\] is "Завершенно" \(did you mean Завершено\?\)$/,
    ],
    [
      'an empty array of states',
      { state: [] },
      /"state" must be a BackgroundJobState \(Active, .*\), or a non-empty array of them; got an empty array/,
    ],
    [
      'an unknown state inside the array',
      { Состояние: ['Active', 'Done'] },
      /"Состояние" must be a BackgroundJobState .* or a non-empty array of them; item \[1\] is "Done"/,
    ],
    [
      'a hole in the array of states',
      { state: Array(3) },
      /non-empty array of them; item \[0\] is undefined/,
    ],
    ['a set of states', { state: new Set(['Active']) }, /non-empty array of them; got an object \(Set\)/],
    ['a begin that is not a Date', { Начало: '2024-01-01' }, /"Начало" must be a valid Date/],
    ['a key that is not a string', { key: 1 }, /"key" must be a string, got 1/],
    ['a filter that is not an object', 'K1', /takes an object of job fields, got "K1"/],
    [
      'a filter whose getter throws',
      Object.defineProperty({}, 'key', { enumerable: true, get: () => assert.fail('unreadable key') }),
      /takes an object of job fields: an object \(Object\) cannot be read \(unreadable key\)/,
    ],
    [
      'a revoked Proxy as the filter',
      revokedProxy(),
      /takes an object of job fields: a Proxy cannot be read \(Cannot perform 'IsArray'/,
    ],
    [
      'a revoked Proxy as a date',
      { begin: revokedProxy() },
      /takes an object of job fields: an object \(Object\) cannot be read \(Cannot perform 'getPrototypeOf'/,
    ],
  ])('%s is refused with WBJ_BAD_ARGUMENT', async (_case, filter, message) => {
    const manager = createManager({ isolation });
    await expect(manager.getBackgroundJobs(filter as never)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });
});
