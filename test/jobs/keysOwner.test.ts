import { BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

describeEachIsolation("a job's owner (execute's owner option)", (isolation) => {
  test('a job executed with an owner carries it as job.owner and in toJSON(); one without has none', async () => {
    const manager = createManager({ isolation });
    const owned = await manager.execute('Reports.Echo', [1], '', '', { owner: 'user-42' });
    const unowned = await manager.execute('Reports.Echo', [2]);
    await manager.waitForCompletion([owned, unowned]);
    expect(owned.owner).toBe('user-42');
    expect(owned.Владелец).toBe('user-42');
    expect(JSON.parse(JSON.stringify(owned))).toMatchObject({ owner: 'user-42' });
    expect(unowned.owner).toBeUndefined();
    expect(unowned.toJSON()).toHaveProperty('owner', undefined);
    expect((await manager.findByUUID(owned.uuid))?.owner).toBe('user-42');
  });

  test('getBackgroundJobs({ owner }) lists exactly the jobs of that owner', async () => {
    const manager = createManager({ isolation });
    const jobs = await Promise.all([
      manager.execute('Reports.Echo', [1], '', '', { owner: 'alice' }),
      manager.execute('Reports.Echo', [2], '', '', { owner: 'bob' }),
      manager.execute('Reports.Echo', [3], '', '', { owner: 'Alice' }),
      manager.execute('Reports.Echo', [4]),
    ]);
    await manager.waitForCompletion(jobs);
    expect((await manager.getBackgroundJobs({ owner: 'alice' })).map((job) => job.uuid)).toEqual([
      jobs[0]!.uuid,
    ]);
    expect((await manager.ПолучитьФоновыеЗадания({ Владелец: 'bob' })).map((job) => job.uuid)).toEqual([
      jobs[1]!.uuid,
    ]);
    expect(await manager.getBackgroundJobs({ owner: 'nobody' })).toEqual([]);
  });

  test("a job started from a handler belongs to its caller's owner, unless it names another", async () => {
    const manager = createManager({ isolation });
    const inherits = await manager.execute('Keys.Start', ['Reports.Echo', [1], ''], '', '', {
      owner: 'user-7',
    });
    const names = await manager.execute(
      'Keys.Start',
      ['Reports.Echo', [2], '', { owner: 'user-8' }],
      '',
      '',
      {
        owner: 'user-7',
      },
    );
    await manager.waitForCompletion([inherits, names]);
    expect(inherits.result).toMatchObject({ owner: 'user-7', parentOwner: 'user-7' });
    expect(names.result).toMatchObject({ owner: 'user-8', parentOwner: 'user-7' });
    const child = await manager.findByUUID((inherits.result as { uuid: string }).uuid);
    expect(child?.owner).toBe('user-7');
    await manager.waitForCompletion([child!]);
    expect(child?.state).toBe(BackgroundJobState.Completed);
  });

  test.each([
    ['an empty string', '', /got ""/],
    ['a number', 42, /got 42/],
    ['null', null, /got null/],
    ['a string of 257 characters', 'x'.repeat(257), /got "x{200}"… \(257 characters\)/],
  ])(
    'owner as %s is refused with WBJ_BAD_ARGUMENT naming it, and no job starts',
    async (_case, owner, got) => {
      const manager = createManager({ isolation });
      const error = await manager
        .execute('Reports.Echo', [], '', '', { owner } as never)
        .catch((failure: unknown) => failure);
      expect(error).toMatchObject({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringMatching(
          /^execute\(\{ owner \}\) takes a non-empty string of at most 256 characters/,
        ),
      });
      expect((error as Error).message).toMatch(got);
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );

  test('an owner of 256 characters is taken as given', async () => {
    const manager = createManager({ isolation });
    const owner = 'й'.repeat(256);
    const job = await manager.execute('Reports.Echo', [], '', '', { owner });
    expect(job.owner).toBe(owner);
    expect((await manager.getBackgroundJobs({ owner })).map((each) => each.uuid)).toEqual([job.uuid]);
  });

  test('getBackgroundJobs({ owner }) with a non-string is refused with WBJ_BAD_ARGUMENT naming it', async () => {
    const manager = createManager({ isolation });
    await expect(manager.getBackgroundJobs({ owner: 5 as never })).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: 'Filter key "owner" must be a string, got 5',
    });
  });
});
