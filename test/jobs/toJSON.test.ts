import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { backgroundJobsDashboard, type BackgroundJob, type Isolation } from 'web-background-jobs';
import { appWithJobs, ISOLATIONS } from '../helpers';

/** Handlers returning and throwing values JSON.stringify cannot take as they are. */
const HOSTILE = path.join(__dirname, '..', 'fixtures', 'hostile', 'handlers');

/** How deep toJSON() follows nested values before it writes the marker (docs/security.md: what toJSON() sends). */
const MAX_DEPTH = 1000;

/** An app answering `res.json(job)`, as docs/api.md and the demo do, with the dashboard beside it. */
function jsonApp(isolation: Isolation) {
  const { app, manager } = appWithJobs({ handlers: HOSTILE, isolation });
  app.get('/jobs/:uuid', async (req, res) => {
    res.json(await req.backgroundJobs.findByUUID(req.params.uuid as string));
  });
  app.get('/jobs', async (req, res) => {
    res.json(await req.backgroundJobs.getBackgroundJobs());
  });
  app.use('/dashboard', backgroundJobsDashboard());
  return { app, manager };
}

/** Runs `Values.Make(kind)` to its end; returns the job and the result as res.json(job) sent it. */
async function served(app: express.Express, manager: ReturnType<typeof jsonApp>['manager'], kind: string) {
  const job = await manager.execute('Values.Make', [kind]);
  await job.waitForCompletion();
  const { body } = await request(app).get(`/jobs/${job.uuid}`).expect(200);
  return { job, body };
}

/** The values every isolation can return (a worker thread's result must be structured-cloneable to come back). */
const CLONEABLE: [string, unknown][] = [
  ['bigint', '10'],
  ['cycle', { name: 'loop', list: ['[Circular]'], self: '[Circular]' }],
  [
    'map',
    [
      ['a', 1],
      [{ k: 1 }, '2'],
    ],
  ],
  ['set', [1, 'two', '3']],
  ['date', { at: '2024-01-02T03:04:05.006Z', invalid: null }],
  ['typedArrays', { bytes: [1, 2, 255], floats: [0.5, -1], bigs: ['3', '-4'] }],
];

/** The values only an inline handler can return. */
const INLINE_ONLY: [string, unknown][] = [
  ['functionsAndSymbols', { kept: 1, list: [null, null, null, 2] }],
  ['throwingGetter', { ok: 1, bad: '[Unreadable]' }],
  ['throwingToJSON', { inner: '[Unreadable]' }],
  ['proxy', { plain: { a: 1 }, hostile: '[Unreadable]', revoked: '[Unreadable]' }],
  ['boxed', [1, 's', true, '5']],
];

/** Follows `next` down a nested result; returns how many levels it went and what it found at the bottom. */
function bottom(value: unknown): { levels: number; found: unknown } {
  let levels = 0;
  let node = value;
  while (typeof node === 'object' && node !== null && 'next' in node) {
    node = (node as { next: unknown }).next;
    levels += 1;
  }
  return { levels, found: node };
}

describe.each(ISOLATIONS)(
  'toJSON() never throws: res.json(job) answers 200 whatever the result [%s]',
  (isolation) => {
    const kinds = isolation === 'inline' ? [...CLONEABLE, ...INLINE_ONLY] : CLONEABLE;

    test.each(kinds)('a result %s is sent as JSON data', async (kind, expected) => {
      const { app, manager } = jsonApp(isolation);
      const { job, body } = await served(app, manager, kind);
      expect(body.result).toEqual(expected);
      expect(JSON.parse(JSON.stringify(job)).result).toEqual(expected);
    });

    test("the handler's own copy of its job serializes too (in a worker thread, the worker's copy)", async () => {
      const { manager } = jsonApp(isolation);
      const job = await manager.execute('Values.Self', [], 'self-key');
      await job.waitForCompletion();
      expect(job.result).toMatchObject({ uuid: job.uuid, state: 'Active', key: 'self-key', messages: [] });
    });

    test('the job itself keeps its result as the handler returned it', async () => {
      const { app, manager } = jsonApp(isolation);
      const { job } = await served(app, manager, 'bigint');
      expect(job.result).toBe(10n);
    });

    test('a result nested deeper than the cap is cut there with a marker, without overflowing the stack', async () => {
      const { app, manager } = jsonApp(isolation);
      // 100,000 levels are more than a structured clone can copy: from a worker thread, a depth that comes back.
      const depth = isolation === 'inline' ? 100_000 : 1_100;
      const job = await manager.execute('Values.Nested', [depth]);
      await job.waitForCompletion();
      const { body } = await request(app).get(`/jobs/${job.uuid}`).expect(200);
      expect(bottom(body.result)).toEqual({ levels: MAX_DEPTH, found: '[Too deep]' });
    });

    test('a huge sparse array is cut with a marker instead of four billion nulls', async () => {
      const { app, manager } = jsonApp(isolation);
      const { job, body } = await served(app, manager, 'sparse');
      expect((job.result as unknown[]).length).toBe(2 ** 32 - 1);
      const sent = body.result as unknown[];
      expect(sent.at(-1)).toBe('[Truncated]');
      expect(sent.slice(0, -1).every((item) => item === null)).toBe(true);
      expect(JSON.stringify(job).length).toBeLessThan(20 * 2 ** 20);
    });

    test('the job list and the dashboard keep answering 200 with such jobs in history', async () => {
      const { app, manager } = jsonApp(isolation);
      for (const [kind] of kinds) await (await manager.execute('Values.Make', [kind])).waitForCompletion();
      const { body } = await request(app).get('/jobs').expect(200);
      expect(body.map((job: BackgroundJob) => job.result)).toEqual(kinds.map(([, expected]) => expected));
      const list = await request(app).get('/dashboard/api/jobs').expect(200);
      for (const row of list.body.jobs as { uuid: string }[]) {
        const details = await request(app).get(`/dashboard/api/jobs/${row.uuid}`).expect(200);
        expect(details.body.state).toBe('Completed');
      }
    });

    test.each(kinds)('the dashboard shows a result %s as res.json(job) does', async (kind, expected) => {
      const { app, manager } = jsonApp(isolation);
      const { job } = await served(app, manager, kind);
      const { body } = await request(app).get(`/dashboard/api/jobs/${job.uuid}`).expect(200);
      expect(body.result).toEqual(expected);
    });
  },
);

test.each([
  [4_000, 'more than this thread can read back, though the worker could write it'],
  [100_000, 'more than the worker can write'],
])(
  'a thread result nested %p levels deep (%s) fails the job with WBJ_RESULT_NOT_CLONEABLE instead of leaving it Active',
  async (depth) => {
    const { app, manager } = jsonApp('thread');
    const job = await manager.execute('Values.Nested', [depth]);
    await expect(job.waitForCompletion()).rejects.toMatchObject({ code: 'WBJ_JOBS_FAILED' });
    const { body } = await request(app).get(`/jobs/${job.uuid}`).expect(200);
    expect(body).toMatchObject({ state: 'Failed', errorInfo: { code: 'WBJ_RESULT_NOT_CLONEABLE' } });
  },
);

test.each([...CLONEABLE, ...INLINE_ONLY].map(([kind]) => kind))(
  'a job failing with a thrown %s serializes its errorInfo',
  async (kind) => {
    const { app, manager } = jsonApp('inline');
    const job = await manager.execute('Values.Throw', [kind]);
    await job.waitForCompletion().catch(() => undefined);
    const { body } = await request(app).get(`/jobs/${job.uuid}`).expect(200);
    expect(body).toMatchObject({ state: 'Failed', errorInfo: { description: expect.any(String) } });
  },
);
