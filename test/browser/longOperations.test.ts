import type { Browser } from 'playwright-core';
import request from 'supertest';
import { tempDir } from '../helpers';
import { type DemoProcess, startDemo } from '../examples/demoProcess';
import { launchChromium } from './chromium';
import {
  buildReport,
  jobSeenByPage,
  monthMessages,
  openLongOperation,
  pageErrors,
  scenarios,
  shown,
  stateShown,
} from './longOperationPage';

// The demo's long-operation page in Chromium, on the demo as `npm start` runs it (memory store, worker threads): it
// starts a job through runJob (web-background-jobs/client, served by backgroundJobsApi as client.js), shows its
// progress and messages live, cancels it, and shows a failure.

jest.setTimeout(90_000);

let browser: Browser;
let demo: DemoProcess;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launchChromium(), startDemo(tempDir())]);
});

afterAll(async () => {
  await Promise.all([browser?.close(), demo?.stop()]);
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

describe('a long operation from the browser (the demo page, memory store)', () => {
  test('the page starts a report and shows its progress bar and messages live, then its result', () =>
    scenarios.liveReport(browser, demo.url));

  test('Cancel cancels the running job on the server: the page shows Canceled, and so does the job', () =>
    scenarios.cancel(browser, demo.url));

  test('a failing job shows Failed with the description of its error', () =>
    scenarios.failure(browser, demo.url));

  test("a double click runs one job (onKeyConflict 'join'): the page follows it and shows each message once", async () => {
    const page = await openLongOperation(browser, demo.url);
    await buildReport(page, 3, 2);
    await stateShown(page, 'Completed');
    expect((await shown(page)).messages).toEqual(monthMessages(3));
    const user = await page.locator('#user').textContent();
    const jobs = (await request(demo.url).get(`/jobs?key=report-${user}`).expect(200)).body;
    expect(jobs).toHaveLength(1);
    await page.context().close();
  });

  test('another user gets 404 for the job, as if it did not exist', async () => {
    const page = await openLongOperation(browser, demo.url);
    await buildReport(page, 1);
    await stateShown(page, 'Completed');
    const { uuid } = await shown(page);
    const stranger = await openLongOperation(browser, demo.url);
    expect((await jobSeenByPage(stranger, uuid)).status).toBe(404);
    expect(await jobSeenByPage(page, uuid)).toMatchObject({ status: 200, body: { state: 'Completed' } });
    await Promise.all([page.context().close(), stranger.context().close()]);
  });

  test('without EventSource, runJob long-polls: every message once, then the result', async () => {
    const page = await openLongOperation(browser, demo.url, true);
    await buildReport(page, 2);
    await stateShown(page, 'Completed');
    expect(await shown(page)).toMatchObject({
      messages: monthMessages(2),
      percent: 100,
      outcome: 'The report is ready: {"months":2,"total":200}',
    });
    await page.context().close();
  });
});
