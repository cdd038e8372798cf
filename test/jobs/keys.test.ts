import { BackgroundJobState, КраткоеПредставлениеОшибки } from 'web-background-jobs';
import { createManager, describeEachIsolation } from '../helpers';

describeEachIsolation(
  'the key rule (1C: a key is unique among the active jobs of one method)',
  (isolation) => {
    test('executing the same method with the key of an active job rejects, naming method and key', async () => {
      const manager = createManager({ isolation });
      const first = await manager.execute('Jobs.Sleep', [10_000], 'Key1');
      await expect(manager.execute('Jobs.Sleep', [1], 'Key1')).rejects.toMatchObject({
        code: 'WBJ_KEY_CONFLICT',
        message: expect.stringMatching(/Jobs\.Sleep.*"Key1"/),
      });
      await first.cancel();
    });

    test("a conflict's message starts with 1C's text, which БСП code searches for, then says which job holds the key", async () => {
      const manager = createManager({ isolation });
      const first = await manager.execute('Jobs.Sleep', [10_000], 'Key1');
      let text = '';
      try {
        await manager.Выполнить('Jobs.Sleep', [1], 'Key1');
      } catch (e) {
        // БСП: СтрНайти(КраткоеПредставлениеОшибки(ИнформацияОбОшибке()), "Задание с таким значением ключа уже выполняется")
        if (String((e as Error).message).includes('Задание с таким значением ключа уже выполняется')) {
          text = КраткоеПредставлениеОшибки(e as Error);
        }
      }
      expect(text).toBe(
        `Задание с таким значением ключа уже выполняется: background job ${first.uuid} of method "Jobs.Sleep" with key "Key1" is still active; wait for it or use another key`,
      );
      await first.cancel();
    });

    test('the method name counts case-insensitively, as it resolves', async () => {
      const manager = createManager({ isolation });
      const first = await manager.execute('Jobs.Sleep', [10_000], 'Key1');
      await expect(manager.execute('jobs.SLEEP', [1], 'Key1')).rejects.toMatchObject({
        code: 'WBJ_KEY_CONFLICT',
      });
      await first.cancel();
    });

    test('another method may use the same key at the same time', async () => {
      const manager = createManager({ isolation });
      const first = await manager.execute('Jobs.Sleep', [10_000], 'Key1');
      const other = await manager.execute('Jobs.Forever', [], 'Key1');
      expect(other.state).toBe(BackgroundJobState.Active);
      await first.cancel();
      await other.cancel();
    });

    test.each([
      ['completed', (job: { waitForCompletion(): Promise<void> }) => job.waitForCompletion()],
      ['cancelled', (job: { cancel(): Promise<void> }) => job.cancel()],
    ])('once the job has %s, the key is free again', async (_how, end) => {
      const manager = createManager({ isolation });
      const first = await manager.execute('Jobs.Sleep', [5], 'Key1');
      await end(first);
      const second = await manager.execute('Jobs.Sleep', [5], 'Key1');
      await second.waitForCompletion();
      expect(second.state).toBe(BackgroundJobState.Completed);
    });

    test('an empty key reserves nothing', async () => {
      const manager = createManager({ isolation });
      const jobs = await Promise.all([
        manager.execute('Jobs.Sleep', [5], ''),
        manager.execute('Jobs.Sleep', [5]),
      ]);
      await manager.waitForCompletion(jobs);
      expect(jobs.map((job) => job.state)).toEqual([
        BackgroundJobState.Completed,
        BackgroundJobState.Completed,
      ]);
    });

    test('1,000 concurrent executes with one key start exactly one job', async () => {
      const manager = createManager({ isolation });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 1000 }, () => manager.execute('Jobs.Sleep', [20], 'only-one')),
      );
      const started = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(started).toHaveLength(1);
      expect(
        refused.every((outcome) => (outcome as PromiseRejectedResult).reason.code === 'WBJ_KEY_CONFLICT'),
      ).toBe(true);
      expect(await manager.getBackgroundJobs({ key: 'only-one' })).toHaveLength(1);
      await manager.waitForCompletion();
    });
  },
);
