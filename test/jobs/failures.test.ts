import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobState, type Isolation } from 'web-background-jobs';
import { createManager, describeEachIsolation, recordingLogger, tempDir } from '../helpers';

async function failedJob(isolation: Isolation, method: string, params: unknown[] = []) {
  const logger = recordingLogger();
  const manager = createManager({ isolation, logger });
  const job = await manager.execute(method, params);
  await job.waitForCompletion().catch(() => undefined);
  return { job, logger };
}

describeEachIsolation('failures stay inside their job', (isolation) => {
  test('a thrown Error fails the job; errorInfo.description is the message and points at the handler line', async () => {
    const { job } = await failedJob(isolation, 'Jobs.Fail', ['Деление на 0']);
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
    const { job } = await failedJob(isolation, 'Jobs.FailLater', [1, 'async failure']);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo?.description).toBe('async failure');
  });

  test.each([
    ['string', { description: 'plain string', stack: '' }],
    ['undefined', { description: 'The handler threw undefined instead of an Error' }],
    ['null', { description: 'The handler threw null instead of an Error' }],
    ['object', { description: "{ code: 7, reason: 'not an Error' }" }],
    ['hostile', { description: 'Error' }],
    ['errorLike', { description: 'looks like an Error', detailedDescription: 'looks like an Error' }],
  ])('a thrown %s becomes a readable errorInfo, never a crash', async (kind, expected) => {
    const { job } = await failedJob(isolation, 'Jobs.Throw', [kind]);
    expect(job.state).toBe(BackgroundJobState.Failed);
    expect(job.errorInfo).toMatchObject(expected);
  });

  test('an error cause becomes errorInfo.cause and is shown in detailedDescription', async () => {
    const { job } = await failedJob(isolation, 'Jobs.Throw', ['caused']);
    expect(job.errorInfo?.description).toBe('outer');
    expect(job.errorInfo?.cause).toMatchObject({ description: 'inner', moduleName: 'Jobs.js' });
    expect(job.errorInfo?.detailedDescription).toMatch(
      /outer\ncaused by: \{Jobs\.js\(\d+\)\}: TypeError: inner/,
    );
  });

  test('a failure is logged with the job uuid, method and message', async () => {
    const { job, logger } = await failedJob(isolation, 'Jobs.Fail', ['logged failure']);
    expect(logger.lines.error).toEqual([
      `[web-background-jobs] Background job ${job.uuid} (Jobs.Fail) failed: logged failure`,
    ]);
  });

  test('failing jobs do not disturb the jobs running beside them', async () => {
    const manager = createManager({ isolation });
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

  test('errorInfo locates the handler line even when the folder path has spaces', async () => {
    const folder = path.join(tempDir(), 'my handlers');
    mkdirSync(folder);
    writeFileSync(
      path.join(folder, 'Spaced.js'),
      "exports.Run = () => {\n  throw new Error('spaced');\n};\n",
    );
    const manager = createManager({ isolation, handlers: folder });
    const job = await manager.execute('Spaced.Run');
    await job.waitForCompletion().catch(() => undefined);
    expect(job.errorInfo).toMatchObject({
      moduleName: 'Spaced.js',
      lineNumber: 2,
      sourceLine: "throw new Error('spaced');",
    });
  });

  test('a logger that throws does not lose the failure: the job is Failed and console gets the line', async () => {
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const logger = {
        ...recordingLogger(),
        error: () => {
          throw new Error('logger down');
        },
      };
      const manager = createManager({ isolation, logger });
      const job = await manager.execute('Jobs.Fail', ['with a broken logger']);
      await job.waitForCompletion().catch(() => undefined);
      expect(job.state).toBe(BackgroundJobState.Failed);
      expect(printed).toHaveBeenCalledWith(
        expect.stringContaining('(Jobs.Fail) failed: with a broken logger'),
        expect.any(Error),
      );
    } finally {
      printed.mockRestore();
    }
  });
});
