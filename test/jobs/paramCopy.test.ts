import type { BackgroundJob } from 'web-background-jobs';
import { createManager, describeEachIsolation, onRedis } from '../helpers';

// 1C copies a job's parameters when Выполнить is called: what the caller does with its values afterwards reaches
// no job. Each test reuses one array, changing it after every call, as a loop building requests does.

/** Calls `start` three times with one order, changed after each call; the orders each call saw, as copies. */
function reusingOneOrder<T>(start: (params: unknown[]) => T): {
  calls: T[];
  seen: unknown[];
  reused: unknown[];
} {
  const order = { lines: [1] };
  const params: unknown[] = [order];
  const calls: T[] = [];
  const seen: unknown[] = [];
  for (const line of [2, 3, 4]) {
    calls.push(start(params));
    seen.push(structuredClone(params));
    order.lines.push(line);
    params.push(`extra ${line}`);
  }
  return { calls, seen, reused: params };
}

async function results(jobs: BackgroundJob[]): Promise<unknown[]> {
  await Promise.all(jobs.map((job) => job.waitForCompletion()));
  return jobs.map((job) => job.result);
}

describeEachIsolation('parameters are copied when a job is started', (isolation) => {
  test('execute copies them at its call: jobs of one Promise.all over a reused, changed array each see it as it was at their call', async () => {
    const manager = createManager({ isolation });
    const { calls, seen } = reusingOneOrder((params) => manager.execute('Reports.Echo', params));
    const jobs = await Promise.all(calls);
    expect(await results(jobs)).toEqual(seen);
  });

  test('execute refuses a parameter it cannot copy at the call, with a rejection, not a throw', async () => {
    const manager = createManager({ isolation });
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = manager.execute('Reports.Echo', [() => 1]))).not.toThrow();
    await expect(pending).rejects.toMatchObject({
      code: onRedis() ? 'WBJ_PARAM_NOT_STORABLE' : 'WBJ_PARAM_NOT_CLONEABLE',
      message: expect.stringContaining('params[0]'),
    });
  });

  test('a scheduled job copies params on assignment, never freezing the caller’s array, and each run gets the saved copy', async () => {
    const manager = createManager({ isolation });
    const schedule = { cron: '0 0 1 1 *', timezone: 'UTC' };
    let count = 0;
    const {
      calls: scheduled,
      seen,
      reused,
    } = reusingOneOrder((params) => {
      count += 1;
      const job = manager.scheduledJobs.create({
        name: `Copy${count}`,
        methodName: 'Reports.Echo',
        schedule,
      });
      job.params = params;
      return job;
    });
    expect(scheduled.map((job) => job.params)).toEqual(seen);
    expect([Object.isFrozen(reused), Object.isFrozen(reused[0])]).toEqual([false, false]);
    await Promise.all(scheduled.map((job) => job.write()));
    const runs = await Promise.all(scheduled.map((job) => job.runNow()));
    expect(await results(runs)).toEqual(seen);
  });
});
