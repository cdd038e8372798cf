import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  backgroundJobsDashboard,
  type BackgroundJobsDashboardOptions,
  type BackgroundJobsManager,
  BackgroundJobState,
} from 'web-background-jobs';
import { appWithJobs, eventually, listen, ROOT } from '../helpers';
import { launchChromium } from './chromium';

// The dashboard's actions in a real browser: delete, run again, the counts in the header, and the Scheduled jobs tab
// (switch use, run now, open the runs); none of their buttons on a read-only dashboard.
/** `WBJ_SCREENSHOTS=1 npm test` refreshes docs/dashboard-scheduled.png (docs/dashboard.md shows it). */
const SCREENSHOTS = process.env.WBJ_SCREENSHOTS === '1';

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

/** A dashboard on the fixture handlers, served, and a page for it: `open(suffix)` opens it, in English. */
async function openDashboard(options: BackgroundJobsDashboardOptions = {}) {
  const { app, manager } = appWithJobs({ checkInterval: 200 }); // the page polls at the check interval
  app.use('/jobs', backgroundJobsDashboard(options));
  server = await listen(app);
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
  const open = (suffix = '') =>
    page.goto(`http://127.0.0.1:${(server!.address() as { port: number }).port}/jobs/${suffix}`);
  return { manager, page, open };
}

const row = (page: Page, uuid: string) => page.locator(`#jobs tr[data-uuid="${uuid}"]`);
const scheduledRow = (page: Page, uuid: string) => page.locator(`#scheduled-jobs tr[data-uuid="${uuid}"]`);

async function nightly(manager: BackgroundJobsManager, method = 'Reports.Build') {
  const job = manager.scheduledJobs.create({
    name: 'Nightly report',
    methodName: method,
    params: [3, 'night'],
    schedule: { ПериодПовтораДней: 1, ВремяНачала: '03:00' },
  });
  await job.write();
  return job;
}

test('Delete removes a finished job from the list and closes its details', async () => {
  const { manager, page, open } = await openDashboard();
  const kept = await manager.execute('Reports.Build', [1, 'kept']);
  const gone = await manager.execute('Reports.Build', [2, 'gone']);
  await manager.waitForCompletion([kept, gone]);
  await open();
  await row(page, gone.uuid).click();
  await page.locator('#delete').click();
  await row(page, gone.uuid).waitFor({ state: 'detached' });
  await page.locator('#details').waitFor({ state: 'hidden' });
  await row(page, kept.uuid).waitFor();
  expect(await manager.findByUUID(gone.uuid)).toBeUndefined();
  await page.close();
});

test('an active job has Cancel and no Delete', async () => {
  const { manager, page, open } = await openDashboard();
  const job = await manager.execute('Jobs.Forever');
  await open(`#${job.uuid}`);
  await page.locator('#cancel').waitFor();
  expect(await page.locator('#delete').count()).toBe(0);
  await page.close();
});

test('Run again starts a job of the same method, params, key and description and shows it', async () => {
  const { manager, page, open } = await openDashboard();
  const first = await manager.execute('Reports.Build', [4, 'again'], 'R-again', 'Build again');
  await first.waitForCompletion();
  await open(`#${first.uuid}`);
  await page.locator('#run-again').click();
  await eventually(async () => expect(await manager.getBackgroundJobs()).toHaveLength(2));
  const again = (await manager.getBackgroundJobs())[1]!;
  await eventually(() => expect(page.url()).toMatch(new RegExp(`#${again.uuid}$`))); // its details are shown
  expect([again.methodName, again.key, again.description]).toEqual([
    'Reports.Build',
    'R-again',
    'Build again',
  ]);
  await again.waitForCompletion();
  expect(again.result).toBe('4:again');
  await row(page, again.uuid).getByText('Completed').waitFor();
  await page.close();
});

test('Run again of a job that holds its key shows the key conflict and starts nothing', async () => {
  const { manager, page, open } = await openDashboard();
  const holder = await manager.execute('Jobs.Forever', [], 'only-one');
  await open(`#${holder.uuid}`);
  await page.locator('#run-again').click();
  await page
    .locator('#action-error')
    .getByText(/Задание с таким значением ключа уже выполняется/)
    .waitFor();
  expect(await manager.getBackgroundJobs()).toEqual([holder]);
  await page.close();
});

test('the header counts jobs by state, live; a count shows the jobs in its state', async () => {
  const { manager, page, open } = await openDashboard();
  await open();
  const count = (state: string) => page.locator(`#counts [data-state="${state}"]`);
  await count('Active').getByText('Active 0').waitFor();
  const failed = await manager.execute('Jobs.Fail', ['no']);
  const running = await manager.execute('Jobs.Forever');
  await failed.waitForExecutionCompletion();
  await count('Failed').getByText('Failed 1').waitFor();
  await count('Active').getByText('Active 1').waitFor();
  await count('Failed').click();
  await row(page, running.uuid).waitFor({ state: 'detached' });
  await row(page, failed.uuid).waitFor();
  expect(await page.locator('#state').inputValue()).toBe('Failed');
  await page.close();
});

test('the owner column shows when a job has an owner, and the owner filter keeps the jobs of that owner', async () => {
  const { manager, page, open } = await openDashboard();
  const plain = await manager.execute('Reports.Build', [1, 'p']);
  await open();
  await row(page, plain.uuid).waitFor();
  expect(await page.locator('#owner-head').isHidden()).toBe(true);
  const alice = await manager.execute('Reports.Build', [2, 'a'], '', '', { owner: 'alice' });
  await row(page, alice.uuid).locator('td').nth(8).getByText('alice').waitFor();
  await page.locator('#owner-head').waitFor();
  await page.locator('#owner').fill('alice');
  await row(page, plain.uuid).waitFor({ state: 'detached' });
  expect(await page.locator('#jobs tr').count()).toBe(1);
  await row(page, alice.uuid).click();
  await page.locator('#details dd').getByText('alice', { exact: true }).waitFor();
  await page.close();
});

test('the Scheduled jobs tab lists a job with its schedule in words, next and last run; Run now starts a run; Runs shows them', async () => {
  const { manager, page, open } = await openDashboard();
  const scheduled = await nightly(manager);
  const other = await manager.execute('Reports.Build', [9, 'other']);
  await open();
  await page.locator('#tab-scheduled').click();
  const line = scheduledRow(page, scheduled.uuid);
  await line.getByText('Every day; from 3:00:00 once a day').waitFor();
  const cells = await line.locator('td').allTextContents();
  expect(cells.slice(0, 3)).toEqual([
    'Nightly report',
    'Reports.Build',
    'Every day; from 3:00:00 once a day',
  ]);
  expect(cells[4]).toBe(scheduled.nextRun!.toLocaleString('en-US'));
  expect(cells[5]).toBe('');
  await line.locator('.run-now').click();
  await line.getByText('Completed').waitFor();
  const [run] = await manager.getBackgroundJobs({ scheduledJob: scheduled });
  expect(run!.result).toBe('3:night');
  await line.locator('.runs').click();
  await row(page, run!.uuid).waitFor();
  await page.locator('#runs-of-name').getByText('Runs of Nightly report').waitFor();
  expect(await page.locator('#jobs tr').count()).toBe(1);
  await page.locator('#all-jobs').click();
  await row(page, other.uuid).waitFor();
  if (SCREENSHOTS) {
    await manager.scheduledJobs
      .create({
        name: 'Hourly cleanup',
        methodName: 'Jobs.Fail',
        schedule: { ПериодПовтораДней: 1, ПериодПовтораВТечениеДня: 3600 },
      })
      .write();
    await page.locator('#tab-scheduled').click();
    await page.getByText('Hourly cleanup').waitFor();
    await page.screenshot({ path: path.join(ROOT, 'docs', 'dashboard-scheduled.png') });
  }
  await page.close();
});

test('the use switch writes use off and on; off, the job has no next run', async () => {
  const { manager, page, open } = await openDashboard();
  const scheduled = await nightly(manager);
  await open('?tab=scheduled&lang=ru');
  const line = scheduledRow(page, scheduled.uuid);
  await line.getByText('Каждый день; с 3:00:00 один раз в день').waitFor();
  await line.locator('input.use').uncheck();
  await eventually(async () =>
    expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(false),
  );
  await eventually(async () => expect(await line.locator('td').nth(4).textContent()).toBe(''));
  await line.locator('input.use').check();
  await eventually(async () =>
    expect((await manager.scheduledJobs.findByUUID(scheduled.uuid))!.use).toBe(true),
  );
  await page.close();
});

test('Run now while the previous run is active shows why it was refused', async () => {
  const { manager, page, open } = await openDashboard();
  const scheduled = await nightly(manager, 'Jobs.Forever');
  const first = await scheduled.runNow();
  await open('?tab=scheduled');
  await scheduledRow(page, scheduled.uuid).locator('.run-now').click();
  await page
    .locator('#scheduled-error')
    .getByText(/previous run/i)
    .waitFor();
  expect(first.state).toBe(BackgroundJobState.Active);
  expect(await manager.getBackgroundJobs()).toEqual([first]);
  await page.close();
});

test('a read-only dashboard shows no Cancel, Delete, Run again, Run now, and a disabled use switch', async () => {
  const { manager, page, open } = await openDashboard({ readOnly: true });
  const scheduled = await nightly(manager);
  const job = await manager.execute('Jobs.Forever');
  await open(`#${job.uuid}`);
  await page.locator('#detail-state').waitFor();
  for (const id of ['cancel', 'delete', 'run-again']) expect(await page.locator(`#${id}`).count()).toBe(0);
  await page.locator('#tab-scheduled').click();
  const line = scheduledRow(page, scheduled.uuid);
  await line.waitFor();
  expect(await line.locator('.run-now').count()).toBe(0);
  expect(await line.locator('input.use').isDisabled()).toBe(true);
  await line.locator('.runs').waitFor();
  await page.close();
});
