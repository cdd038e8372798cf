import { createManager, useRedisStore } from '../helpers';

// A job executed with no parameters costs no look and no JSON copy on a Redis store (issue 17): what it gets is still
// a list of its own.

describe('a job executed with no parameters on a Redis store', () => {
  useRedisStore();

  test('runs with an empty list of its own: items pushed onto the caller’s empty array after execute reach no job', async () => {
    const manager = createManager({ isolation: 'inline' });
    const params: unknown[] = [];
    const executing = manager.execute('Reports.Echo', params);
    params.push('pushed after the call');
    const job = await executing;
    await job.waitForCompletion();
    expect(job.result).toEqual([]);
  });
});
