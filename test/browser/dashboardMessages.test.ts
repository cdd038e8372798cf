import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { backgroundJobsDashboard } from 'web-background-jobs';
import { appWithJobs, listen } from '../helpers';
import { launchChromium } from './chromium';

// The dashboard lists a user message's 1C fields (Поле, ПутьКДанным, КлючДанных, ИдентификаторНазначения) beside its text.

jest.setTimeout(60_000);

let browser: Browser;
let server: Server | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

afterEach(() => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))));

test('a message shows its fields beside its text, markup in them as text that runs nothing', async () => {
  const { app, manager } = appWithJobs();
  app.use('/jobs', backgroundJobsDashboard());
  server = await listen(app);
  const markup = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const job = await manager.execute('UserMessages.WithFields', [markup]);
  await job.waitForCompletion();
  const page = await browser.newPage({ locale: 'en-US' });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/jobs/`);
  await page.locator(`tr[data-uuid="${job.uuid}"]`).click();
  const item = page.locator('#messages li');
  await item.waitFor();
  expect(await item.textContent()).toMatch(
    / — Сумма не заполнена field: <script>alert\(1\)<\/script><img src=x onerror=alert\(2\)> data path: Объект data key: 42 target: form-1$/,
  );
  expect(await page.locator('#details img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  await page.close();
});
