import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type BackgroundJob, backgroundJobsApi, type BackgroundJobsManager } from 'web-background-jobs';
import { appWithJobs, eventually, listen, ROOT } from '../helpers';
import { launchChromium } from './chromium';

// runJob (web-background-jobs/client) in Chromium, called by a page's script against backgroundJobsApi: what it
// resolves and rejects with, its callbacks, and its signal. The demo page's tests are longOperations.test.ts.

jest.setTimeout(60_000);

let browser: Browser;
let server: Server;
let manager: BackgroundJobsManager;
let url: string;
/** The uncaught exceptions of the pages, as their messages. */
const pageErrors: string[] = [];
/** The browser contexts of the running test, closed after it: streams left open would outlive their server. */
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  const jobs = appWithJobs({ handlers: path.join(ROOT, 'examples', 'handlers'), isolation: 'inline' });
  manager = jobs.manager;
  // The user is the page's `user` cookie: each test's pages set their own.
  const owner = (req: { headers: { cookie?: string } }) => /user=(\w+)/.exec(req.headers.cookie ?? '')?.[1];
  jobs.app.use('/api/jobs', backgroundJobsApi({ methods: ['Reports.Build', 'Reports.Fail'], owner }));
  jobs.app.get('/', (_req, res) => void res.send('<!doctype html><title>A page of the app</title>'));
  server = await listen(jobs.app);
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await new Promise((resolve) => server.close(resolve));
  expect(pageErrors.splice(0)).toEqual([]);
});

/** A page of the app for `user`, in a browser context of its own. */
async function pageOf(user: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  await context.addCookies([{ name: 'user', value: user, url }]);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  return page;
}

/**
 * Runs `body` as an async function in the page, with `runJob` and `RunJobError` imported from the router's
 * client.js and `failure(error)` giving what a rejection carries; answers what it returns. As text: the tests'
 * TypeScript has no DOM types, and would compile import() away.
 */
function inPage<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(async () => {
    const { runJob, RunJobError } = await import('/api/jobs/client.js');
    const failure = (error) => ({
      runJobError: error instanceof RunJobError,
      name: error.name,
      code: error.code,
      message: error.message,
      status: error.status,
      holderUuid: error.holderUuid,
      errorInfo: error.errorInfo && { description: error.errorInfo.description },
      job: error.job && { uuid: error.job.uuid, state: error.job.state },
    });
    ${body}
  })()`) as Promise<T>;
}

describe('runJob in Chromium', () => {
  test('resolves with the finished job; onState gets the job without messages as started (begun, inline) and ended; onProgress and onMessage each report once', async () => {
    const page = await pageOf('ann');
    const seen = await inPage<Record<string, unknown>>(
      page,
      `const states = [], progress = [], messages = [];
      const job = await runJob('/api/jobs', 'Reports.Build', [2], {
        description: 'Two months',
        onState: (job) => states.push({ state: job.state, begun: job.begin !== undefined, messages: 'messages' in job }),
        onProgress: (value) => progress.push(value),
        onMessage: (message) => messages.push(message.text),
      });
      return { job: { state: job.state, result: job.result, owner: job.owner, description: job.description }, states, progress, messages };`,
    );
    expect(seen).toEqual({
      job: { state: 'Completed', result: { months: 2, total: 200 }, owner: 'ann', description: 'Two months' },
      // An inline job has begun when execute answers: the stream's state on connect repeats it, and is not passed on.
      states: [
        { state: 'Active', begun: true, messages: false },
        { state: 'Completed', begun: true, messages: false },
      ],
      progress: [
        { percent: 50, text: 'Month 1 of 2' },
        { percent: 100, text: 'Month 2 of 2' },
      ],
      messages: ['Month 1 of 2 done', 'Month 2 of 2 done'],
    });
  });

  test('a failed job rejects with WBJ_JOB_FAILED, its errorInfo and the job', async () => {
    const page = await pageOf('ann');
    const failed = await inPage(
      page,
      `return await runJob('/api/jobs', 'Reports.Fail', ['No data for 2026']).then(() => 'resolved', failure);`,
    );
    expect(failed).toMatchObject({
      runJobError: true,
      name: 'RunJobError',
      code: 'WBJ_JOB_FAILED',
      message: 'No data for 2026',
      errorInfo: { description: 'No data for 2026' },
      job: { state: 'Failed' },
    });
  });

  test('aborting the signal cancels the job on the server and rejects with an AbortError, WBJ_JOB_CANCELED', async () => {
    const page = await pageOf('ann');
    const cancelled = await inPage(
      page,
      `const controller = new AbortController();
      const running = runJob('/api/jobs', 'Reports.Build', [60], {
        signal: controller.signal,
        onMessage: () => controller.abort(),
      });
      return await running.then(() => 'resolved', failure);`,
    );
    expect(cancelled).toMatchObject({
      runJobError: true,
      name: 'AbortError',
      code: 'WBJ_JOB_CANCELED',
      job: { state: 'Canceled' },
    });
    const uuid = (cancelled as { job: { uuid: string } }).job.uuid;
    expect((await manager.findByUUID(uuid))?.state).toBe('Canceled');
  });

  test('a job cancelled by someone else rejects with WBJ_JOB_CANCELED that is not an AbortError', async () => {
    const page = await pageOf('ann');
    const cancelled = inPage(
      page,
      `return await runJob('/api/jobs', 'Reports.Build', [60]).then(() => 'resolved', failure);`,
    );
    let running: BackgroundJob | undefined;
    await eventually(async () => {
      [running] = await manager.getBackgroundJobs({ owner: 'ann' });
      expect(running).toBeDefined();
    });
    await running!.cancel();
    expect(await cancelled).toMatchObject({
      name: 'RunJobError',
      code: 'WBJ_JOB_CANCELED',
      job: { state: 'Canceled' },
    });
  });

  test('a signal aborted before the call starts no job, and rejects with an AbortError', async () => {
    const page = await pageOf('ann');
    const refused = await inPage(
      page,
      `return await runJob('/api/jobs', 'Reports.Build', [1], { signal: AbortSignal.abort() }).then(() => 'resolved', failure);`,
    );
    expect(refused).toMatchObject({ runJobError: true, name: 'AbortError', code: 'WBJ_JOB_CANCELED' });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test("the router's refusals reject with their code and status: a method off the list (403), a key held by the user's own job (409, naming it), a key held by another user's job (409, not naming it)", async () => {
    const [ann, bob] = await Promise.all([pageOf('ann'), pageOf('bob')]);
    const forbidden = await inPage(
      ann,
      `return await runJob('/api/jobs', 'Reports.CountPrimes').then(() => 'resolved', failure);`,
    );
    expect(forbidden).toMatchObject({ runJobError: true, code: 'WBJ_FORBIDDEN', status: 403 });
    const holder = await manager.execute('Reports.Build', [60], 'monthly', '', { owner: 'ann' });
    const start = `return await runJob('/api/jobs', 'Reports.Build', [1], { key: 'monthly' }).then(() => 'resolved', failure);`;
    expect(await inPage(ann, start)).toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
      status: 409,
      holderUuid: holder.uuid,
    });
    expect(await inPage(bob, start)).toMatchObject({
      code: 'WBJ_KEY_CONFLICT',
      status: 409,
      holderUuid: undefined,
    });
    await holder.cancel();
  });

  test("onKeyConflict 'join' follows the user's own job holding the key to its end; 'replace' cancels it and runs the new one", async () => {
    const page = await pageOf('ann');
    const holder = await manager.execute('Reports.Build', [2], 'monthly', '', { owner: 'ann' });
    const joined = await inPage<{ uuid: string; result: unknown }>(
      page,
      `const job = await runJob('/api/jobs', 'Reports.Build', [9], { key: 'monthly', onKeyConflict: 'join' });
      return { uuid: job.uuid, result: job.result };`,
    );
    expect(joined).toEqual({ uuid: holder.uuid, result: { months: 2, total: 200 } });
    const replaced = await manager.execute('Reports.Build', [60], 'monthly', '', { owner: 'ann' });
    const replacing = await inPage<{ uuid: string; result: unknown }>(
      page,
      `const job = await runJob('/api/jobs', 'Reports.Build', [1], { key: 'monthly', onKeyConflict: 'replace' });
      return { uuid: job.uuid, result: job.result };`,
    );
    expect(replacing).toEqual({
      uuid: expect.not.stringMatching(replaced.uuid),
      result: { months: 1, total: 100 },
    });
    expect(replaced.state).toBe('Canceled');
  });

  test('a callback that throws is reported as uncaught in the page, and the job is still followed to its end with every message', async () => {
    const page = await pageOf('ann');
    const messages = await inPage(
      page,
      `const messages = [];
      await runJob('/api/jobs', 'Reports.Build', [2], {
        onMessage: (message) => {
          messages.push(message.text);
          if (messages.length === 1) throw new Error('the page failed to show it');
        },
      });
      return messages;`,
    );
    expect(messages).toEqual(['Month 1 of 2 done', 'Month 2 of 2 done']);
    await eventually(() => expect(pageErrors).toEqual(['the page failed to show it']));
    pageErrors.splice(0);
  });
});
