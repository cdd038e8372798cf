import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { backgroundJobsDashboard, type BackgroundJobsManager } from 'web-background-jobs';
import { appWithJobs, listen, ROOT } from '../helpers';
import { launchChromium } from './chromium';

// The dashboard in a real browser.
/** `WBJ_SCREENSHOTS=1 npm test` refreshes the pictures under docs/ (README.md and docs/dashboard.md show them). */
const SCREENSHOTS = process.env.WBJ_SCREENSHOTS === '1';

jest.setTimeout(60_000);

let browser: Browser;
let server: Server;
let manager: BackgroundJobsManager;
let url: string;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  const jobs = appWithJobs({
    handlers: path.join(ROOT, 'examples', 'handlers'),
    checkInterval: 200, // the page polls at the manager's check interval
  });
  manager = jobs.manager;
  jobs.app.use('/jobs', backgroundJobsDashboard());
  server = await listen(jobs.app);
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jobs/`;
});

afterEach(() => new Promise((resolve) => server.close(resolve)));

/** Messages of every dialog (alert…) a page opened: injected markup would open one. */
const dialogs: string[] = [];

async function openDashboard(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url + query);
  return page;
}

const row = (page: Page, uuid: string) => page.locator(`tr[data-uuid="${uuid}"]`);

describe('the jobs dashboard in Chromium', () => {
  test('a job started through the API appears and finishes live, without a reload; its details show messages and progress', async () => {
    const page = await openDashboard();
    await page.getByText('No jobs').waitFor();
    const job = await manager.execute('Reports.Build', [2], 'R-1', 'Two months');
    await row(page, job.uuid).getByText('Active').waitFor();
    await row(page, job.uuid).getByText('Completed').waitFor({ timeout: 10_000 });
    await row(page, job.uuid).click();
    const details = page.locator('#details');
    await details.getByText('Two months').first().waitFor();
    await details.getByText('Month 2 of 2 done').waitFor();
    await details.getByText('100% Month 2 of 2').waitFor();
    await details.getByText('"total": 200').waitFor();
    if (SCREENSHOTS) {
      const failed = await manager.execute('Reports.Fail', [], '', 'Report source check');
      await manager.execute('Reports.Build', [60], 'R-2', 'Annual report', { owner: 'alice' });
      await failed.waitForCompletion().catch(() => undefined);
      await details.getByRole('button', { name: 'Close' }).click();
      await row(page, failed.uuid).getByText('Failed').waitFor();
      await page.screenshot({ path: path.join(ROOT, 'docs', 'dashboard-list.png') });
      await row(page, failed.uuid).click();
      await details.getByText('The report source is unavailable').first().waitFor();
      await page.screenshot({ path: path.join(ROOT, 'docs', 'dashboard-details.png') });
    }
    await page.close();
  });

  test('a long job is cancelled from the page and shows Canceled', async () => {
    const job = await manager.execute('Reports.Build', [60], 'long', 'Sixty months');
    const page = await openDashboard();
    await row(page, job.uuid).click();
    await page.locator('#cancel').click();
    await page.locator('#detail-state').getByText('Canceled').waitFor();
    await row(page, job.uuid).getByText('Canceled').waitFor();
    expect(job.state).toBe('Canceled');
    await page.close();
  });

  test('a description with markup shows as text and runs nothing', async () => {
    const markup = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const job = await manager.execute('Reports.Fail', [markup], '', markup);
    await job.waitForCompletion().catch(() => undefined);
    const page = await openDashboard();
    const cell = row(page, job.uuid).locator('td').nth(3);
    await cell.waitFor();
    expect(await cell.textContent()).toBe(markup);
    await row(page, job.uuid).click();
    await page.locator('#details pre').first().waitFor();
    expect(await page.locator('#details img').count()).toBe(0);
    expect(await page.locator('#details script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  test('the details show the newest 100 messages with their total, and "Older messages" loads 100 more each time', async () => {
    const talkative = appWithJobs({ checkInterval: 200 }); // the fixture handlers: Logs.Many
    talkative.app.use('/jobs', backgroundJobsDashboard());
    const own = await listen(talkative.app);
    try {
      const job = await talkative.manager.execute('Logs.Many', [250]);
      await job.waitForCompletion();
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(own.address() as { port: number }).port}/jobs/#${job.uuid}`);
      const messages = page.locator('#messages li');
      await page.locator('#messages-count').getByText('100 shown of 250').waitFor();
      expect(await messages.first().textContent()).toMatch(/ — 150$/);
      expect(await messages.last().textContent()).toMatch(/ — 249$/);
      await page.locator('#older-messages').click();
      await page.locator('#messages-count').getByText('200 shown of 250').waitFor();
      await page.locator('#older-messages').click();
      await page.locator('#messages-count').getByText('250 shown of 250').waitFor();
      expect(await messages.count()).toBe(250);
      expect(await messages.first().textContent()).toMatch(/ — 0$/);
      expect(await page.locator('#older-messages').count()).toBe(0);
      await page.close();
    } finally {
      own.close();
    }
  });

  test('the Russian page writes durations, numbers, progress and error details in Russian, not English', async () => {
    const built = await manager.execute('Reports.Build', [2], '', 'Два месяца');
    await built.waitForCompletion();
    const failed = await manager.execute('Reports.Fail', []);
    await failed.waitForCompletion().catch(() => undefined);
    const page = await openDashboard('?lang=ru');
    const duration = (uuid: string) => row(page, uuid).locator('td').nth(6);
    await row(page, failed.uuid).getByText('Завершено аварийно').waitFor();
    // Two months take two seconds and more: seconds with a decimal comma and the Russian unit.
    expect(await duration(built.uuid).textContent()).toMatch(/^\d+,\d с$/);
    expect(await duration(failed.uuid).textContent()).toMatch(/^(\d+ мс|\d+,\d с)$/);
    await row(page, built.uuid).click();
    const details = page.locator('#details');
    await details.getByText('Month 2 of 2 done').waitFor();
    const fields = Object.fromEntries(
      await details
        .locator('dl')
        .first()
        .locator('dt')
        .evaluateAll((terms) =>
          terms.map((term) => [term.textContent, term.nextElementSibling?.textContent]),
        ),
    );
    expect(fields).toMatchObject({
      'Уникальный идентификатор': built.uuid,
      Длительность: expect.stringMatching(/^\d+,\d с$/),
      Прогресс: expect.stringMatching(/^100\s% Month 2 of 2$/),
    });
    expect(await page.locator('#messages-count').textContent()).toBe('показано 2 из 2');
    await row(page, failed.uuid).click();
    await details.getByText('Информация об ошибке').waitFor();
    const terms = await details.locator('dl').nth(1).locator('dt').allTextContents();
    expect(terms).toEqual(['Описание', 'Имя модуля', 'Номер строки', 'Исходная строка']);
    await page.close();
  });

  test('the page speaks Russian with ?lang=ru, and filters by state', async () => {
    const done = await manager.execute('Reports.Build', [0]);
    await done.waitForCompletion();
    const running = await manager.execute('Reports.Build', [60]);
    const page = await openDashboard('?lang=ru');
    await page.getByRole('heading', { name: 'Фоновые задания' }).waitFor();
    await row(page, running.uuid).getByText('Активно').waitFor();
    await page.locator('#state').selectOption('Completed');
    await row(page, running.uuid).waitFor({ state: 'detached' });
    await row(page, done.uuid).getByText('Завершено').waitFor();
    await page.close();
  });
});
