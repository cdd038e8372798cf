import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type BackgroundJobsManager, BackgroundJobState } from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, tempDir } from '../helpers';

// execute's attempts, backoff, delaySeconds and startAt, in memory (inline, thread) and on Redis (BullMQ's own
// attempts, backoff and delayed jobs). Off by default: 1C keeps a failed job failed.
jest.setTimeout(40_000);

/** The attempts a Retries handler logged into `file`: each one's number and when it started (ms). */
function attemptsLogged(file: string): { attempt: number; at: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' ').map(Number))
    .map(([attempt, at]) => ({ attempt: attempt!, at: at! }));
}

/**
 * Resolves once a job delayed by `seconds` from now has run on `manager`: the waits of another job that were due
 * before it are over by then, with no sleep in the test.
 */
async function pastDelay(manager: BackgroundJobsManager, seconds: number): Promise<void> {
  const marker = await manager.execute('Reports.Echo', ['marker'], '', '', { delaySeconds: seconds });
  await marker.waitForCompletion(30);
}

describeEachIsolation('retries and delays', (isolation) => {
  let file: string;
  beforeEach(() => {
    file = path.join(tempDir(), 'attempts');
  });

  test('a job failing twice with attempts 3 completes on its third attempt; attempt and attemptErrors say so, in toJSON too', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Retries.FailTimes', [file, 2], '', '', { attempts: 3 });
    await job.waitForCompletion(); // across the attempts: it is one job
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toEqual({ attempt: 3, errors: ['attempt 1 fails', 'attempt 2 fails'] });
    expect(job.attempt).toBe(3);
    expect(job.attemptErrors.map((info) => info.description)).toEqual(['attempt 1 fails', 'attempt 2 fails']);
    expect(job.errorInfo).toBeUndefined();
    const sent = JSON.parse(JSON.stringify(job)) as {
      attempt: number;
      attemptErrors: { description: string }[];
    };
    expect(sent.attempt).toBe(3);
    expect(sent.attemptErrors.map((info) => info.description)).toEqual([
      'attempt 1 fails',
      'attempt 2 fails',
    ]);
    const found = (await manager.getBackgroundJobs({ uuid: job.uuid }))[0]!;
    expect([found.attempt, found.attemptErrors.length]).toEqual([3, 2]);
    expect(attemptsLogged(file).map(({ attempt }) => attempt)).toEqual([1, 2, 3]);
  });

  test('a job that fails every attempt ends Failed after the last: errorInfo is its error, attemptErrors the ones before', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Retries.FailTimes', [file, 99], '', '', { attempts: 2 });
    await expect(job.waitForCompletion()).rejects.toMatchObject({ code: 'WBJ_JOBS_FAILED' });
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.attempt).toBe(2);
    expect(job.errorInfo?.description).toBe('attempt 2 fails');
    expect(job.attemptErrors.map((info) => info.description)).toEqual(['attempt 1 fails']);
    expect(Object.isFrozen(job.attemptErrors)).toBe(true);
    expect(attemptsLogged(file)).toHaveLength(2);
  });

  test('without attempts a failed job stays failed after one attempt, as in 1C', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Retries.FailTimes', [file, 1]);
    await job.waitForExecutionCompletion();
    expect([job.state, job.attempt, job.attemptErrors]).toEqual([BackgroundJobState.Failed, 1, []]);
    // Sent once a job is past its first attempt: the JSON of a job without retries is as it always was.
    const sent = JSON.parse(JSON.stringify(job)) as object;
    expect(['attempt' in sent, 'attemptErrors' in sent]).toEqual([false, false]);
    await pastDelay(manager, 0.3);
    expect(attemptsLogged(file)).toHaveLength(1);
  });

  test('a fixed backoff waits delaySeconds before each retry; an exponential one doubles it', async () => {
    const manager = createManager({ isolation });
    const fixedFile = `${file}-fixed`;
    const [fixed, exponential] = await Promise.all([
      manager.execute('Retries.FailTimes', [fixedFile, 2], '', '', {
        attempts: 3,
        backoff: { type: 'fixed', delaySeconds: 0.4 },
      }),
      manager.execute('Retries.FailTimes', [file, 2], '', '', {
        attempts: 3,
        backoff: { type: 'exponential', delaySeconds: 0.4 },
      }),
    ]);
    await manager.waitForCompletion([fixed, exponential]);
    const gaps = (logged: { at: number }[]): number[] =>
      logged.slice(1).map(({ at }, i) => at - logged[i]!.at);
    const [fixedFirst, fixedSecond] = gaps(attemptsLogged(fixedFile));
    expect(fixedFirst).toBeGreaterThanOrEqual(390);
    expect(fixedSecond).toBeGreaterThanOrEqual(390);
    const [first, second] = gaps(attemptsLogged(file));
    expect(first).toBeGreaterThanOrEqual(390);
    expect(second).toBeGreaterThanOrEqual(790);
  });

  test('a job waiting its backoff is Active with no begin and holds its key; a cancel then ends it at once and no attempt follows', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Retries.FailTimes', [file, 99], 'Key1', '', {
      attempts: 3,
      backoff: { type: 'fixed', delaySeconds: 1 },
    });
    await eventually(() => expect(job.attemptErrors).toHaveLength(1));
    expect([job.state, job.begin, job.attempt]).toEqual([BackgroundJobState.Active, undefined, 2]);
    await expect(manager.execute('Retries.FailTimes', [file, 0], 'Key1')).rejects.toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
    });
    await job.cancel();
    expect(job.state).toBe(BackgroundJobState.Canceled);
    await job.waitForCompletion(); // a cancelled job ends the wait
    await pastDelay(manager, 1.5); // past the retry the cancel stopped
    expect(attemptsLogged(file)).toHaveLength(1);
    expect(job.state).toBe(BackgroundJobState.Canceled);
    await manager.execute('Reports.Echo', [], 'Key1'); // the key was freed
  });

  test('a cancel during an attempt is never retried', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Forever', [], '', '', { attempts: 3 });
    await eventually(() => expect(job.begin).toBeDefined());
    await job.cancel();
    await job.waitForCompletion();
    await pastDelay(manager, 0.5);
    const [found] = await manager.getBackgroundJobs({ uuid: job.uuid });
    expect([found!.state, found!.attempt, found!.attemptErrors]).toEqual([
      BackgroundJobState.Canceled,
      1,
      [],
    ]);
  });

  test('an attempt past its time limit counts as failed and runs again', async () => {
    const manager = createManager({ isolation, cancelGraceMs: 100 });
    const job = await manager.execute('Retries.SlowTimes', [file, 1], '', '', {
      attempts: 2,
      timeoutSeconds: 0.3,
    });
    await job.waitForCompletion();
    expect([job.state, job.result, job.attempt]).toEqual([BackgroundJobState.Completed, 'in time', 2]);
    expect(job.attemptErrors).toEqual([expect.objectContaining({ code: 'WBJ_JOB_TIMEOUT' })]);
    expect(job.signal.aborted).toBe(false); // the second attempt ran with a signal of its own
  });

  test('a job delayed by delaySeconds is Active with no begin, takes no concurrency slot while it waits, then runs', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const executedAt = Date.now();
    const delayed = await manager.execute('Reports.Echo', ['later'], 'Key2', '', { delaySeconds: 1 });
    expect([delayed.state, delayed.begin]).toEqual([BackgroundJobState.Active, undefined]);
    const now = await manager.execute('Reports.Echo', ['now']);
    await now.waitForCompletion(); // the only slot was free
    expect([delayed.state, delayed.begin]).toEqual([BackgroundJobState.Active, undefined]);
    await expect(manager.execute('Reports.Echo', [], 'Key2')).rejects.toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
    });
    await delayed.waitForCompletion();
    expect(delayed.state).toBe(BackgroundJobState.Completed);
    expect(delayed.begin!.getTime() - executedAt).toBeGreaterThanOrEqual(990);
  });

  test('startAt starts the job no earlier than that time; a time past starts it at once', async () => {
    const manager = createManager({ isolation });
    const startAt = new Date(Date.now() + 800);
    const [later, past] = await Promise.all([
      manager.execute('Reports.Echo', ['later'], '', '', { startAt }),
      manager.execute('Reports.Echo', ['past'], '', '', { startAt: new Date(0) }),
    ]);
    await past.waitForCompletion();
    await later.waitForCompletion();
    expect(later.begin!.getTime()).toBeGreaterThanOrEqual(startAt.getTime() - 10);
    expect(past.state).toBe(BackgroundJobState.Completed);
  });

  test('a cancel during the delay ends the job Canceled at once, and it never runs', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Jobs.Touch', [file], '', '', { delaySeconds: 1 });
    await job.cancel();
    expect([job.state, job.begin]).toEqual([BackgroundJobState.Canceled, undefined]);
    expect(job.end).toBeInstanceOf(Date);
    await pastDelay(manager, 1.5);
    expect(existsSync(file)).toBe(false);
    const [found] = await manager.getBackgroundJobs({ uuid: job.uuid });
    expect(found!.state).toBe(BackgroundJobState.Canceled);
  });

  test.each<[string, object, RegExp]>([
    ['attempts 0', { attempts: 0 }, /attempts \}\) takes an integer from 1 to 1000, got 0/],
    ['attempts 1.5', { attempts: 1.5 }, /attempts \}\) takes an integer from 1 to 1000, got 1\.5/],
    ['attempts 1e9', { attempts: 1e9 }, /attempts \}\) takes an integer from 1 to 1000, got 1000000000/],
    ['attempts "3"', { attempts: '3' }, /attempts \}\) takes an integer from 1 to 1000, got "3"/],
    [
      'an unknown backoff type',
      { attempts: 2, backoff: { type: 'linear', delaySeconds: 1 } },
      /backoff\.type \}\) takes 'fixed' or 'exponential', got "linear"/,
    ],
    [
      'a backoff of no seconds',
      { attempts: 2, backoff: { type: 'fixed' } },
      /backoff\.delaySeconds \}\) takes a number of seconds from 0 to 2147483, got undefined/,
    ],
    [
      'a backoff that is a number',
      { attempts: 2, backoff: 5 },
      /backoff \}\) takes \{ type: 'fixed' \| 'exponential', delaySeconds: number \}, got 5/,
    ],
    [
      'a backoff with another field',
      { attempts: 2, backoff: { type: 'fixed', delaySeconds: 1, jitter: 1 } },
      /without "jitter"/,
    ],
    [
      'a negative delay',
      { delaySeconds: -1 },
      /delaySeconds \}\) takes a number of seconds from 0 to 2147483, got -1/,
    ],
    [
      'a delay past the timer limit',
      { delaySeconds: 3e6 },
      /delaySeconds \}\) takes a number of seconds from 0 to 2147483, got 3000000/,
    ],
    ['startAt not a Date', { startAt: '2030-01-01' }, /startAt \}\) takes a valid Date .*, got "2030-01-01"/],
    ['startAt an invalid Date', { startAt: new Date(Number.NaN) }, /startAt \}\) takes a valid Date/],
    [
      'startAt beyond the timer limit',
      { startAt: new Date(Date.now() + 30 * 86_400_000) },
      /startAt \}\) takes a valid Date at most 2147483 s/,
    ],
    [
      'delaySeconds with startAt',
      { delaySeconds: 1, startAt: new Date() },
      /take delaySeconds or startAt, not both; got delaySeconds 1 and startAt an object \(Date\)/,
    ],
  ])(
    '%s is refused with WBJ_BAD_ARGUMENT naming the value and what is expected; nothing runs',
    async (_, options, message) => {
      const manager = createManager({ isolation });
      await expect(manager.execute('Reports.Echo', [], '', '', options)).rejects.toMatchObject({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringMatching(message),
      });
      expect(await manager.getBackgroundJobs()).toEqual([]);
    },
  );
});
