import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../helpers';

// The demo's long-operation page (examples/public/long-operation.html) in Chromium, and the demo app in processes of
// its own, for the tests of runJob and backgroundJobsApi from the browser (longOperations*.test.ts).

/** The messages Reports.Build sends over `months` months, in order. */
export const monthMessages = (months: number): string[] =>
  Array.from({ length: months }, (_, index) => `Month ${index + 1} of ${months} done`);

/** The page's uncaught exceptions: a test ends with none. */
export const pageErrors: string[] = [];

/**
 * Opens the page in a browser context of its own: a new demo user (the demo's cookie), so that jobs, keys and
 * ownership are the test's own. `withoutEventSource` deletes EventSource before the page runs, as an old browser.
 */
export async function openLongOperation(
  browser: Browser,
  url: string,
  withoutEventSource = false,
): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  if (withoutEventSource)
    await page.addInitScript(() => delete (globalThis as { EventSource?: unknown }).EventSource);
  await page.goto(`${url}/long-operation.html`);
  await page.locator('#user', { hasText: /^[0-9a-f]{16}$/ }).waitFor();
  return page;
}

/** Starts Reports.Build over `months` months from the page's form (`clicks` 2: a double click). */
export async function buildReport(page: Page, months: number, clicks = 1): Promise<void> {
  await page.fill('#months', String(months));
  await page.click('#build', { clickCount: clicks });
}

/** Waits until the page shows the job in `state`. */
export function stateShown(page: Page, state: string, timeout = 30_000): Promise<void> {
  return page.locator('#state', { hasText: new RegExp(`^${state}$`) }).waitFor({ timeout });
}

/**
 * Waits until the page shows the job Active with a message and a progress above 0 at the same moment: the page
 * follows the job live, before its end.
 */
export async function liveProgressShown(page: Page): Promise<void> {
  // As text, run in the page: the tests' TypeScript has no DOM types.
  const live =
    "document.getElementById('state').textContent === 'Active' && " +
    "document.querySelectorAll('#messages li').length > 0 && document.getElementById('progress').value > 0";
  await page.waitForFunction(live, undefined, { timeout: 30_000 });
}

/** What the page shows: the messages, the progress bar's value and text, the outcome line, the job's uuid. */
export async function shown(page: Page) {
  return {
    messages: await page.locator('#messages li').allTextContents(),
    percent: Number(
      await page.locator('#progress').evaluate((bar) => (bar as unknown as { value: number }).value),
    ),
    progress: await page.locator('#progress-text').textContent(),
    outcome: await page.locator('#outcome').textContent(),
    uuid: (await page.locator('body').getAttribute('data-job')) ?? '',
  };
}

/** The job `uuid` as the page's user gets it from the API (GET <mount>/<uuid>, with the page's cookie). */
export function jobSeenByPage(
  page: Page,
  uuid: string,
): Promise<{ status: number; body: { state?: string } }> {
  return page.evaluate(async (id) => {
    const response = await fetch(`/api/jobs/${id}`, { headers: { Accept: 'application/json' } });
    return { status: response.status, body: (await response.json()) as { state?: string } };
  }, uuid);
}

/**
 * What the page does on either store, each on a page of a new user at `url`: a report shown live to its result, a
 * report cancelled (on the server too), a failure shown.
 */
export const scenarios = {
  async liveReport(browser: Browser, url: string): Promise<void> {
    const page = await openLongOperation(browser, url);
    await buildReport(page, 4);
    await liveProgressShown(page);
    await stateShown(page, 'Completed');
    expect(await shown(page)).toMatchObject({
      messages: monthMessages(4),
      percent: 100,
      progress: '100% Month 4 of 4',
      outcome: 'The report is ready: {"months":4,"total":400}',
    });
    await page.context().close();
  },

  async cancel(browser: Browser, url: string): Promise<void> {
    const page = await openLongOperation(browser, url);
    await buildReport(page, 60);
    await liveProgressShown(page);
    await page.click('#cancel');
    await stateShown(page, 'Canceled');
    const { uuid, outcome, messages } = await shown(page);
    expect(outcome).toBe('You cancelled the report.');
    expect(messages.length).toBeLessThan(60);
    expect(await jobSeenByPage(page, uuid)).toMatchObject({ status: 200, body: { state: 'Canceled' } });
    await page.context().close();
  },

  async failure(browser: Browser, url: string): Promise<void> {
    const page = await openLongOperation(browser, url);
    await page.click('#fail');
    await stateShown(page, 'Failed');
    expect((await shown(page)).outcome).toBe('The report failed: The report source is unavailable');
    await page.context().close();
  },
};

/** The demo app in a Node process of its own (test/fixtures/process/demo-instance.mjs). */
export interface DemoInstance {
  readonly url: string;
  /** SIGTERM (closes the manager, then exits) or SIGKILL (a crash); resolves once the process has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/** Starts the demo app with these options (a Redis store, `worker: false`…); resolves once it listens. */
export async function startDemoInstance(options: Record<string, unknown>): Promise<DemoInstance> {
  const script = path.join(ROOT, 'test', 'fixtures', 'process', 'demo-instance.mjs');
  const child: ChildProcess = spawn(process.execPath, [script, JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(printed);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`The demo instance exited with ${code} before listening`)));
  });
  return {
    url,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
