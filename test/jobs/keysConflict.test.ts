import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  type BackgroundJob,
  BackgroundJobsKeyConflictError,
  BackgroundJobState,
  type BackgroundJobsManager,
} from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, tempDir } from '../helpers';

/** A file for Jobs.TouchWhenCancelled to write once cancelled, in a folder removed after the tests. */
const scratch = (): string => path.join(tempDir(), 'cancelled');

/** The active jobs holding `key` (of any method). */
async function holders(manager: BackgroundJobsManager, key: string): Promise<string[]> {
  return (await manager.getBackgroundJobs({ key, state: BackgroundJobState.Active })).map((job) => job.uuid);
}

/** A job that runs until cancelled, then writes a file: its existence proves its handler was told to stop. */
async function holder(manager: BackgroundJobsManager, owner?: string): Promise<[BackgroundJob, string]> {
  const file = scratch();
  const job = await manager.execute(
    'Jobs.TouchWhenCancelled',
    [file],
    'K',
    'first',
    owner === undefined ? {} : { owner },
  );
  return [job, file];
}

describeEachIsolation("execute's onKeyConflict", (isolation) => {
  test("'reject', the default, is 1C's rule: WBJ_KEY_CONFLICT in 1C's words, naming the holder as holderUuid", async () => {
    const manager = createManager({ isolation });
    const [first] = await holder(manager);
    for (const options of [undefined, { onKeyConflict: 'reject' as const }]) {
      const error = await manager
        .execute('Jobs.TouchWhenCancelled', [scratch()], 'K', '', options)
        .catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(BackgroundJobsKeyConflictError);
      expect(error).toMatchObject({
        code: 'WBJ_KEY_CONFLICT',
        holderUuid: first.uuid,
        message: expect.stringMatching(/^Задание с таким значением ключа уже выполняется: background job /),
      });
    }
    expect(await holders(manager, 'K')).toEqual([first.uuid]);
  });

  test("'join' resolves with the active job holding the key, the same object, and starts nothing", async () => {
    const manager = createManager({ isolation });
    const [first] = await holder(manager, 'user-1');
    const joined = await manager.execute('Jobs.TouchWhenCancelled', [scratch()], 'K', 'second', {
      owner: 'user-1',
      onKeyConflict: 'join',
    });
    expect(joined).toBe(first);
    expect(joined.description).toBe('first');
    expect(await manager.getBackgroundJobs({ methodName: 'Jobs.TouchWhenCancelled' })).toHaveLength(1);
  });

  test("'join' and 'replace' without a holder start the job as usual", async () => {
    const manager = createManager({ isolation });
    const joined = await manager.execute('Reports.Echo', [1], 'K', '', { onKeyConflict: 'join' });
    await joined.waitForCompletion();
    const replacing = await manager.execute('Reports.Echo', [2], 'K', '', { onKeyConflict: 'replace' });
    await replacing.waitForCompletion();
    expect([joined.result, replacing.result]).toEqual([[1], [2]]);
  });

  test("'replace' cancels the holder, stops its handler, then starts the new job holding the key", async () => {
    const manager = createManager({ isolation });
    const [first, file] = await holder(manager, 'user-1');
    // Its handler runs: the replace has a handler to stop, not only a job to take off the queue.
    await eventually(
      () => expect(first.getUserMessages().map(({ text }) => text)).toEqual(['running']),
      20_000,
    );
    const second = await manager.execute('Jobs.TouchWhenCancelled', [scratch()], 'K', 'second', {
      owner: 'user-1',
      onKeyConflict: 'replace',
    });
    expect(second.uuid).not.toBe(first.uuid);
    expect(first.state).toBe(BackgroundJobState.Canceled);
    expect(first.errorInfo).toBeUndefined();
    expect(second.state).toBe(BackgroundJobState.Active);
    expect(await holders(manager, 'K')).toEqual([second.uuid]);
    await eventually(() => expect(existsSync(file)).toBe(true), 20_000);
    expect(second.state).toBe(BackgroundJobState.Active);
  });

  test('two concurrent replaces leave exactly one active holder, and every other job of the key cancelled', async () => {
    const manager = createManager({ isolation });
    const [first] = await holder(manager);
    const outcomes = await Promise.allSettled(
      ['a', 'b'].map((name) =>
        manager.execute('Jobs.TouchWhenCancelled', [scratch()], 'K', name, { onKeyConflict: 'replace' }),
      ),
    );
    const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(started.length).toBeGreaterThanOrEqual(1);
    const active = await holders(manager, 'K');
    expect(active).toHaveLength(1);
    expect(started.map((job) => job.uuid)).toContain(active[0]);
    await eventually(async () => {
      const all = await manager.getBackgroundJobs({ key: 'K' });
      expect(all.filter((job) => job.uuid !== active[0]).map((job) => job.state)).toEqual(
        Array(all.length - 1).fill(BackgroundJobState.Canceled),
      );
    });
    expect(first.state).toBe(BackgroundJobState.Canceled);
  });

  test.each(['join', 'replace'] as const)(
    "'%s' of another owner's job (or of one with no owner) is a plain WBJ_KEY_CONFLICT, and the holder runs on",
    async (onKeyConflict) => {
      const manager = createManager({ isolation });
      const [first] = await holder(manager, 'alice');
      for (const owner of ['bob', undefined]) {
        const error = await manager
          .execute('Jobs.TouchWhenCancelled', [scratch()], 'K', '', { owner, onKeyConflict })
          .catch((failure: unknown) => failure);
        expect(error).toMatchObject({ code: 'WBJ_KEY_CONFLICT', holderUuid: first.uuid });
      }
      expect(first.state).toBe(BackgroundJobState.Active);
      expect(await holders(manager, 'K')).toEqual([first.uuid]);
    },
  );

  test('a job without an owner joins only a holder without one', async () => {
    const manager = createManager({ isolation });
    const [first] = await holder(manager);
    expect(
      await manager.execute('Jobs.TouchWhenCancelled', [scratch()], 'K', '', { onKeyConflict: 'join' }),
    ).toBe(first);
    await expect(
      manager.execute('Jobs.TouchWhenCancelled', [scratch()], 'K', '', {
        owner: 'bob',
        onKeyConflict: 'join',
      }),
    ).rejects.toMatchObject({ code: 'WBJ_KEY_CONFLICT', holderUuid: first.uuid });
  });

  test.each([
    ['an unknown word', 'merge', /got "merge"/],
    ['a number', 1, /got 1/],
    ['null', null, /got null/],
    ["1C's case", 'Join', /got "Join"/],
  ])(
    'onKeyConflict as %s is refused with WBJ_BAD_ARGUMENT naming it and the choices',
    async (_case, value, got) => {
      const manager = createManager({ isolation });
      const error = await manager
        .execute('Reports.Echo', [], 'K', '', { onKeyConflict: value } as never)
        .catch((failure: unknown) => failure);
      expect(error).toMatchObject({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringMatching(
          /^execute\(\{ onKeyConflict \}\) takes one of 'reject', 'join', 'replace', got /,
        ),
      });
      expect((error as Error).message).toMatch(got);
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );

  test("inside a handler, ФоновыеЗадания.Выполнить joins its caller's own job, and a conflict names the holder", async () => {
    const manager = createManager({ isolation });
    const [first] = await holder(manager, 'user-1');
    const start = (owner: string, options: object) =>
      manager
        .execute('Keys.Start', ['Jobs.TouchWhenCancelled', [scratch()], 'K', options], '', '', { owner })
        .then((job) => job.waitForExecutionCompletion());
    const joined = await start('user-1', { onKeyConflict: 'join' });
    expect(joined.result).toMatchObject({ uuid: first.uuid, owner: 'user-1' });
    const refused = await start('user-2', { onKeyConflict: 'join' });
    expect(refused.result).toMatchObject({ code: 'WBJ_KEY_CONFLICT', holderUuid: first.uuid });
    const replaced = await start('user-1', { onKeyConflict: 'replace' });
    expect(replaced.result).toMatchObject({ owner: 'user-1' });
    expect(first.state).toBe(BackgroundJobState.Canceled);
    expect(await holders(manager, 'K')).toEqual([(replaced.result as { uuid: string }).uuid]);
  });
});
