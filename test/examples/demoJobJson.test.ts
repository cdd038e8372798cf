import path from 'node:path';
import { ROOT, runNode } from '../helpers';

const HOSTILE = path.join(ROOT, 'test', 'fixtures', 'hostile', 'handlers');

// Each test starts the demo in a Node process of its own: slow on a loaded machine, so a generous bound.
jest.setTimeout(60_000);

interface Answer {
  status: number;
  body: { result?: unknown; state?: string; errorInfo?: unknown; code?: string; error?: string };
}

/** Runs the demo app on the hostile fixture handlers, starting and awaiting `jobs`; returns its answers. */
async function demoAnswers(jobs: string[]): Promise<Answer[]> {
  const run = await runNode([
    path.join(ROOT, 'test', 'fixtures', 'process', 'demo-json.mjs'),
    HOSTILE,
    ...jobs,
  ]);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).not.toContain(ROOT);
  expect(run.stdout).not.toContain('node_modules');
  return JSON.parse(run.stdout);
}

describe('the demo app answers every job as JSON, and names no path of the machine', () => {
  test('GET /jobs keeps answering 200 with jobs whose results JSON.stringify cannot take in its history', async () => {
    const kinds = ['bigint', 'cycle', 'map', 'set', 'date', 'typedArrays'];
    const answers = await demoAnswers(kinds.map((kind) => `Values.Make:"${kind}"`));
    const list = answers.pop()!;
    expect(answers.map(({ status, body }) => [status, body.state])).toEqual(
      kinds.map(() => [200, 'Completed']),
    );
    expect(list.status).toBe(200);
    expect((list.body as unknown as Answer['body'][]).map(({ result }) => result)).toEqual([
      '10',
      { name: 'loop', list: ['[Circular]'], self: '[Circular]' },
      [
        ['a', 1],
        [{ k: 1 }, '2'],
      ],
      [1, 'two', '3'],
      { at: '2024-01-02T03:04:05.006Z', invalid: null },
      { bytes: [1, 2, 255], floats: [0.5, -1], bigs: ['3', '-4'] },
    ]);
  });

  test('a job failing outside the handlers folder, and unknown methods, are answered without a path', async () => {
    const [failed, typo, missing] = await demoAnswers(['Frames.Outside', 'Values.Mak', 'Nope.Run']);
    expect(failed.body).toMatchObject({
      state: 'Failed',
      errorInfo: {
        moduleName: 'Frames.js',
        stack: expect.stringContaining('(<outside the handlers folder>)'),
      },
    });
    expect(typo).toEqual({
      status: 404,
      body: {
        code: 'WBJ_HANDLER_NOT_FOUND',
        error: 'Values.js exports no function "Mak"; did you mean Make? It exports 4 functions',
      },
    });
    expect(missing).toMatchObject({ status: 404, body: { code: 'WBJ_HANDLER_NOT_FOUND' } });
  });
});
