import { BackgroundJobState } from '../../src';
import { createManager, recordingLogger } from '../helpers';

async function failedJob(method: string, params: unknown[] = []) {
  const logger = recordingLogger();
  const manager = createManager({ logger });
  const job = await manager.execute(method, params);
  await job.waitForCompletion().catch(() => undefined);
  return { job, logger };
}

describe('failures stay inside their job', () => {
  test('a thrown Error fails the job; errorInfo.description is the message and points at the handler line', async () => {
    const { job } = await failedJob('Jobs.Fail', ['Деление на 0']);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject({
      description: 'Деление на 0',
      moduleName: 'Jobs.js',
      lineNumber: expect.any(Number),
      sourceLine: 'throw new Error(text);',
      detailedDescription: expect.stringMatching(/^\{Jobs\.js\(\d+\)\}: Деление на 0$/),
      stack: expect.stringContaining('Error: Деление на 0'),
    });
    expect(job.errorInfo!.lineNumber).toBeGreaterThan(0);
    expect(Object.isFrozen(job.errorInfo)).toBe(true);
    expect(job.result).toBeUndefined();
  });

  test('a rejected promise fails the job the same way', async () => {
    const { job } = await failedJob('Jobs.FailLater', [1, 'async failure']);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo?.description).toBe('async failure');
  });

  test.each([
    ['string', { description: 'plain string', stack: '' }],
    ['undefined', { description: 'The handler threw undefined instead of an Error' }],
    ['null', { description: 'The handler threw null instead of an Error' }],
    ['object', { description: "{ code: 7, reason: 'not an Error' }" }],
    ['hostile', { description: 'Error' }],
  ])('a thrown %s becomes a readable errorInfo, never a crash', async (kind, expected) => {
    const { job } = await failedJob('Jobs.Throw', [kind]);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject(expected);
  });

  test('an error cause becomes errorInfo.cause and is shown in detailedDescription', async () => {
    const { job } = await failedJob('Jobs.Throw', ['caused']);
    expect(job.errorInfo?.description).toBe('outer');
    expect(job.errorInfo?.cause).toMatchObject({ description: 'inner', moduleName: 'Jobs.js' });
    expect(job.errorInfo?.detailedDescription).toMatch(
      /outer\ncaused by: \{Jobs\.js\(\d+\)\}: TypeError: inner/,
    );
  });

  test('a failure is logged with the job uuid, method and message', async () => {
    const { job, logger } = await failedJob('Jobs.Fail', ['logged failure']);
    expect(logger.lines.error).toEqual([
      `[web-background-jobs] Background job ${job.uuid} (Jobs.Fail) failed: logged failure`,
    ]);
  });

  test('failing jobs do not disturb the jobs running beside them', async () => {
    const manager = createManager();
    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 ? manager.execute('Jobs.Fail', [`failure ${index}`]) : manager.execute('Jobs.Sleep', [5]),
      ),
    );
    await manager.waitForExecutionCompletion(jobs);
    expect(jobs.map((job) => job.state)).toEqual(
      jobs.map((_, index) => (index % 2 ? BackgroundJobState.Failed : BackgroundJobState.Completed)),
    );
  });
});
