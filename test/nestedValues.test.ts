import { BackgroundJobState } from 'web-background-jobs';
import { DOUBLE_FULL_STOP, expectCoded, failureOf, nested } from './coded';
import { createManager, describeEachIsolation, onRedis } from './helpers';

// Values nested past the 1,000-level limit, as parameters and as results: refused or failed with a coded error.

describeEachIsolation('nesting', (isolation) => {
  test('parameters nest up to 1,000 levels; deeper ones (5,000 levels: a raw RangeError on Redis before) are refused naming the limit', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Hostile.Depth', [nested(1000)]);
    await manager.waitForCompletion([job]);
    expect(job.result).toBe(1000);
    for (const depth of [1001, 5000]) {
      const error = await failureOf(() => manager.execute('Hostile.Echo', [1, nested(depth)]));
      expectCoded(error, `depth ${depth}`);
      expect(error).toMatchObject({
        code: onRedis() ? 'WBJ_PARAM_NOT_STORABLE' : 'WBJ_PARAM_NOT_CLONEABLE',
        message: expect.stringMatching(/^params\[1\]/),
      });
      expect((error as Error).message).toMatch(/1000 levels/);
    }
  });

  test('Maps and Sets count as levels too: a parameter of 1,001 nested Maps and Sets is refused', async () => {
    const manager = createManager({ isolation });
    let value: unknown = 1;
    for (let level = 0; level < 1001; level += 1)
      value = level % 2 ? new Set([value]) : new Map([['k', value]]);
    const error = await failureOf(() => manager.execute('Hostile.Echo', [value]));
    expectCoded(error, 'execute');
    expect((error as Error).message).toMatch(
      onRedis()
        ? /^params\[0\] is a Map, which Redis cannot store/
        : /^params\[0\] \(an object \(Map\)\) cannot be passed to a background job: it nests deeper than 1000 levels/,
    );
  });

  test('a result nested 5,000 deep fails its job with a coded error naming the 1,000-level limit, and the application goes on', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Hostile.Nested', [5000]);
    await manager.waitForExecutionCompletion([job]);
    if (isolation === 'inline' && !onRedis()) {
      // Inline in memory the result is the handler's own object: nothing is copied.
      expect(job.state).toBe(BackgroundJobState.Completed);
      return;
    }
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject({
      code: isolation === 'thread' ? 'WBJ_RESULT_NOT_CLONEABLE' : 'WBJ_RESULT_NOT_STORABLE',
      description: expect.stringMatching(/1000 levels/),
    });
    const next = await manager.execute('Hostile.Echo', ['still here']);
    await manager.waitForCompletion([next]);
    expect(next.result).toEqual(['still here']);
  });

  test('a result whose getter throws fails its job with a coded error naming it', async () => {
    const manager = createManager({ isolation });
    const job = await manager.execute('Hostile.ThrowingGetter');
    await manager.waitForExecutionCompletion([job]);
    if (isolation === 'inline' && !onRedis()) return expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.errorInfo).toMatchObject({
      code: isolation === 'thread' ? 'WBJ_RESULT_NOT_CLONEABLE' : 'WBJ_RESULT_NOT_STORABLE',
      description: expect.stringMatching(
        isolation === 'thread'
          ? /: the total is not ready\. Return plain data/
          : /result\.total could not be read \(the total is not ready\)\. /,
      ),
    });
    expect(job.errorInfo!.description).not.toMatch(DOUBLE_FULL_STOP);
  });

  test('a scheduled job’s params nest up to 1,000 levels too', async () => {
    const manager = createManager({ isolation });
    const init = { name: 'Deep', methodName: 'Hostile.Echo', schedule: { cron: '0 0 1 1 *' } };
    expect(manager.scheduledJobs.create({ ...init, params: [nested(1000)] }).params).toHaveLength(1);
    const error = await failureOf(() => manager.scheduledJobs.create({ ...init, params: [nested(5000)] }));
    expectCoded(error, 'scheduledJobs.create');
    expect((error as Error).message).toMatch(
      /^Scheduled job "Deep": params\[0\](\[0\])+.* is nested deeper than 1000 levels;/,
    );
  });
});
