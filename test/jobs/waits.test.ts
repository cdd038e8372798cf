import { type BackgroundJob, BackgroundJobState, BackgroundJobsWaitError } from 'web-background-jobs';
import { createManager, describeEachIsolation, registry, useRedisStore } from '../helpers';

/** Jobs keep every field private, so toEqual would find any two jobs equal: their UUIDs tell them apart. */
function uuids(jobs: readonly BackgroundJob[]): string[] {
  return jobs.map((job) => job.uuid);
}

type Manager = ReturnType<typeof createManager>;

describeEachIsolation('waits', (isolation) => {
  test('are event-driven: a wait ends when the jobs do, not on a jobsCheckInterval tick', async () => {
    // With a ten-minute check interval a polling wait would outlast the test's time limit.
    const manager = createManager({ isolation, checkInterval: 600_000 });
    const jobs = await Promise.all([5, 10, 15].map((ms) => manager.execute('Jobs.Sleep', [ms])));
    await manager.waitForCompletion(jobs);
    expect(jobs.map((job) => job.state)).toEqual(Array(3).fill(BackgroundJobState.Completed));
  });

  test('several jobs then wait for all of them (the seed example)', async () => {
    const manager = createManager({ isolation });
    await manager.execute('Reports.Build', [1, '1.txt'], 'Key1', 'Description1');
    await manager.execute('Reports.Build', [1, '2.txt']);
    const jobs = await manager.getBackgroundJobs();
    await manager.waitForCompletion(jobs);
    expect(jobs.map((job) => job.result)).toEqual(['1:1.txt', '1:2.txt']);
  });

  test('a wait given the same job twice ends when the job does: the job a key join returned, or a list naming it twice', async () => {
    const manager = createManager({ isolation });
    const first = await manager.execute('Jobs.Sleep', [50], 'K');
    const joined = await manager.execute('Jobs.Sleep', [50], 'K', '', { onKeyConflict: 'join' });
    expect(joined).toBe(first);
    // Within the time limit, or it rejects with WBJ_WAIT_TIMEOUT: the job takes 50 ms.
    await expect(manager.waitForCompletion([first, joined], 10)).resolves.toBeUndefined();
    const again = await manager.execute('Jobs.Sleep', [50]);
    await expect(manager.waitForCompletion([again, again, first], 10)).resolves.toBeUndefined();
    expect([first.state, again.state]).toEqual(['Completed', 'Completed']);
  });

  test('waitForCompletion with no list waits for every active job', async () => {
    const manager = createManager({ isolation });
    const jobs = await Promise.all([manager.execute('Jobs.Sleep', [5]), manager.execute('Jobs.Sleep', [10])]);
    await manager.waitForCompletion();
    expect(jobs.every((job) => job.state === BackgroundJobState.Completed)).toBe(true);
  });

  test('waitForCompletion rejects after all finished, listing the failed jobs and their errors', async () => {
    const manager = createManager({ isolation });
    const good = await manager.execute('Jobs.Sleep', [20]);
    const bad = await manager.execute('Jobs.Fail', ['report failed']);
    const error = await manager.waitForCompletion([good, bad]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackgroundJobsWaitError);
    expect(error).toMatchObject({ code: 'WBJ_JOBS_FAILED', jobs: [bad] });
    expect((error as Error).message).toContain(`${bad.uuid} (Jobs.Fail): report failed`);
    expect(good.state).toBe(BackgroundJobState.Completed);
  });

  test('waitForCompletion rejects on timeout, naming the unfinished jobs', async () => {
    const manager = createManager({ isolation });
    const quick = await manager.execute('Jobs.Sleep', [1]);
    const slow = await manager.execute('Jobs.Forever', [], 'slow-key');
    await quick.waitForCompletion();
    const error = await manager.waitForCompletion([quick, slow], 0.05).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'WBJ_WAIT_TIMEOUT', jobs: [slow] });
    expect((error as Error).message).toContain(`${slow.uuid} (Jobs.Forever, key "slow-key")`);
    expect(slow.state).toBe(BackgroundJobState.Active);
    await slow.cancel();
  });

  test('a cancelled job ends a wait without counting as a failure', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Forever');
    const waiting = manager.waitForCompletion([job]);
    await job.cancel();
    await expect(waiting).resolves.toBeUndefined();
  });

  test('job.waitForCompletion follows the same rules', async () => {
    const manager = createManager({ isolation });
    const failing = await manager.execute('Jobs.Fail', ['own failure']);
    await expect(failing.waitForCompletion()).rejects.toMatchObject({
      code: 'WBJ_JOBS_FAILED',
      jobs: [failing],
    });
    const forever = await manager.execute('Jobs.Forever');
    await expect(forever.waitForCompletion(0.01)).rejects.toMatchObject({ code: 'WBJ_WAIT_TIMEOUT' });
    await forever.cancel();
  });

  test('waitForExecutionCompletion never rejects: it resolves with every listed job, in the order given, each in its state then', async () => {
    const manager = createManager({ isolation });
    const failed = await manager.execute('Jobs.Fail', ['x']);
    const done = await manager.execute('Jobs.Sleep', [1]);
    const forever = await manager.execute('Jobs.Forever');
    await failed.waitForExecutionCompletion();
    await done.waitForExecutionCompletion();
    const afterTimeout = await manager.waitForExecutionCompletion([forever, done, failed], 0.02);
    expect(uuids(afterTimeout)).toEqual(uuids([forever, done, failed]));
    expect(afterTimeout.map((job) => job.state)).toEqual(['Active', 'Completed', 'Failed']);
    const waiting = manager.ОжидатьЗавершенияВыполнения([failed, forever, done]);
    await forever.cancel();
    const all = await waiting;
    expect(uuids(all)).toEqual(uuids([failed, forever, done]));
    expect(all.map((job) => job.state)).toEqual(['Failed', 'Canceled', 'Completed']);
  });

  test('waitForExecutionCompletion without a list resolves with the jobs active at the call', async () => {
    const manager = createManager({ isolation });
    const earlier = await manager.execute('Jobs.Sleep', [1]);
    await earlier.waitForExecutionCompletion();
    const jobs = await Promise.all([manager.execute('Jobs.Forever'), manager.execute('Jobs.Forever')]);
    const settled = await manager.waitForExecutionCompletion(undefined, 0.05);
    expect(uuids(settled)).toEqual(uuids(jobs));
    expect(settled.map((job) => job.state)).toEqual(['Active', 'Active']);
    await Promise.all(jobs.map((job) => job.cancel()));
  });

  test("job.waitForExecutionCompletion resolves with the job itself, as 1C's Задание = Задание.ОжидатьЗавершенияВыполнения(Таймаут)", async () => {
    const manager = createManager({ isolation });
    let Задание = await manager.Выполнить('Jobs.Fail', ['own failure']);
    const started = Задание;
    Задание = await Задание.ОжидатьЗавершенияВыполнения(5);
    expect(Задание).toBe(started);
    expect(Задание.Состояние).toBe(BackgroundJobState.ЗавершеноАварийно);
    expect(Задание.ИнформацияОбОшибке?.description).toContain('own failure');
    const done = await manager.execute('Jobs.Sleep', [1]);
    await expect(done.WaitForExecutionCompletion()).resolves.toMatchObject({ state: 'Completed' });
  });

  test('job.waitForExecutionCompletion after a timeout or a cancel resolves with the job in its state then', async () => {
    const manager = createManager({ isolation });
    const forever = await manager.execute('Jobs.Forever');
    // The 1C polling loop: wait a little, look at the state, go on while Active.
    let polls = 0;
    let job = forever;
    while (job.state === BackgroundJobState.Active && polls < 3) {
      polls += 1;
      job = await job.waitForExecutionCompletion(0.01);
    }
    expect([job, job.state, polls]).toEqual([forever, 'Active', 3]);
    const waiting = forever.waitForExecutionCompletion();
    await forever.cancel();
    await expect(waiting).resolves.toBe(forever);
    expect(forever.state).toBe(BackgroundJobState.Canceled);
    await expect(forever.waitForExecutionCompletion(-1)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringContaining(
        'job.waitForExecutionCompletion: the timeout must be a number of seconds',
      ),
    });
  });

  test('waitForAny resolves with the first listed job to end, at once if one has ended already', async () => {
    // Two at a time: a pool of two threads runs them both.
    const manager = createManager({ isolation });
    const forever = await manager.execute('Jobs.Forever');
    const quick = await manager.execute('Jobs.Sleep', [5]);
    await expect(manager.waitForAny([forever, quick])).resolves.toBe(quick);
    expect(quick.state).toBe(BackgroundJobState.Completed);
    // quick has ended: any later wait that lists it ends at once, with it.
    await expect(manager.ОжидатьЛюбое([forever, quick])).resolves.toBe(quick);
    const failing = await manager.execute('Jobs.FailLater', [5, 'late']);
    await expect(manager.WaitAny([forever, failing])).resolves.toBe(failing);
    expect(failing.state).toBe(BackgroundJobState.Failed);
    await forever.cancel();
  });

  test('waitForAny resolves with undefined when the timeout passes first', async () => {
    const manager = createManager({ isolation });
    const forever = await manager.execute('Jobs.Forever');
    await expect(manager.WaitForAny([forever], 0.02)).resolves.toBeUndefined();
    expect(forever.state).toBe(BackgroundJobState.Active);
    await forever.cancel();
  });

  test('inside a job, a wait on all jobs leaves the job out of its answer, and waitForCompletion of itself is refused', async () => {
    const manager = createManager({ isolation });
    const other = await manager.execute('Jobs.Forever');
    const waiter = await manager.execute('Waits.AllThenSelf');
    await waiter.waitForCompletion(30);
    expect(waiter.result).toEqual({ all: [[other.uuid, 'Active']], refused: 'WBJ_WAIT_DEADLOCK' });
    await other.cancel();
  });

  if (isolation === 'inline') {
    test('a job waiting with itself in the list gets itself back, Active, and never waits on itself', async () => {
      const manager = createManager({ isolation });
      registry.manager = manager;
      const other = await manager.execute('Jobs.Sleep', [5]);
      const waiter = await manager.execute('Waits.WithSelf', [other.uuid]);
      await waiter.waitForCompletion(30);
      expect(waiter.result).toEqual({
        settled: [
          [waiter.uuid, 'Active'],
          [other.uuid, 'Completed'],
        ],
        any: 'none',
      });
    });
  }

  test.each([
    [
      'a job instead of a list',
      (m: ReturnType<typeof createManager>, job: unknown) => m.waitForCompletion(job as never),
      /expects an array of background jobs, got an object \(BackgroundJob\)/,
    ],
    [
      'a list holding a string',
      (m: ReturnType<typeof createManager>) => m.waitForCompletion(['abc'] as never),
      /jobs\[0\] is "abc"/,
    ],
    [
      'a negative timeout',
      (m: ReturnType<typeof createManager>, job: unknown) => m.waitForCompletion([job] as never, -1),
      /timeout must be a number of seconds.*got -1/,
    ],
    [
      'a timeout in text',
      (m: ReturnType<typeof createManager>, job: unknown) =>
        m.waitForExecutionCompletion([job] as never, '5' as never),
      /got "5"/,
    ],
    [
      'waitForAny an empty list',
      (m: ReturnType<typeof createManager>) => m.waitForAny([]),
      /waitForAny expects at least one background job, got an empty array/,
    ],
    [
      'waitForAny a list holding a UUID',
      (m: ReturnType<typeof createManager>, job: unknown) =>
        m.waitForAny([job, (job as { uuid: string }).uuid] as never),
      /waitForAny expects an array of background jobs; jobs\[1\] is "/,
    ],
    [
      'an infinite timeout',
      (m: ReturnType<typeof createManager>, job: unknown) => m.waitForCompletion([job] as never, Infinity),
      /got Infinity/,
    ],
  ])('a wait given %s is refused with WBJ_BAD_ARGUMENT', async (_case, wait, message) => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Sleep', [1]);
    await expect(wait(manager, job)).rejects.toMatchObject({
      code: 'WBJ_BAD_ARGUMENT',
      message: expect.stringMatching(message),
    });
    await job.waitForCompletion();
  });
});

describe('waits, inline in memory', () => {
  test.each([
    ['manager.waitForCompletion', (manager: Manager, job: BackgroundJob) => manager.waitForCompletion([job])],
    ['job.waitForCompletion', (_manager: Manager, job: BackgroundJob) => job.waitForCompletion()],
    [
      'manager.waitForExecutionCompletion',
      (manager: Manager, job: BackgroundJob) => manager.waitForExecutionCompletion([job]),
    ],
  ])('%s resumes its caller on the first microtask turn after the job ends', async (_wait, wait) => {
    const manager = createManager({ isolation: 'inline' });
    const job = await manager.execute('Jobs.Sleep', [1]);
    // Microtask turns since the job ended, counted by a chain its completed event starts (told before its waits).
    let turns = -1;
    manager.once('completed', () => {
      turns = 0;
      const count = (left: number): void => {
        if (left === 0) return;
        void Promise.resolve().then(() => {
          turns += 1;
          count(left - 1);
        });
      };
      count(10);
    });
    await wait(manager, job);
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(turns).toBe(1);
  });
});

describe('waits on a Redis store shared by two managers', () => {
  useRedisStore();

  test('job.waitForExecutionCompletion on a job found through another manager resolves with its state then', async () => {
    const worker = createManager({ isolation: 'inline' });
    const web = createManager({ queueName: worker.settings.queueName, worker: false });
    const started = await worker.execute('Jobs.Sleep', [50]);
    const found = await web.findByUUID(started.uuid);
    expect(found).not.toBe(started);
    const settled = await found!.waitForExecutionCompletion(30);
    expect(settled).toBe(found);
    expect([settled.state, settled.end]).toEqual([BackgroundJobState.Completed, expect.any(Date)]);
    const failing = await web.execute('Jobs.FailLater', [50, 'far away']);
    const there = await worker.findByUUID(failing.uuid);
    const [again] = await web.waitForExecutionCompletion([failing], 30);
    expect((await there!.waitForExecutionCompletion(30)).errorInfo?.description).toContain('far away');
    expect(again.errorInfo?.description).toContain('far away');
  });
});

// waitForAny from a handler is the application's manager's (an inline handler reaches it as the app would).
test.each([1, 2])(
  'a wait that could never end is refused while every slot waits, also beside a waitForAny naming a job %i times',
  async (times) => {
    const manager = (registry.manager = createManager({ isolation: 'inline', maxConcurrency: 2 }));
    const waiter = await manager.execute('Waits.AnyAndChild', [times]);
    await manager.waitForExecutionCompletion([waiter], 10);
    expect([waiter.state, waiter.result]).toEqual(['Completed', 'WBJ_WAIT_DEADLOCK']);
  },
);
