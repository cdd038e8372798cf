import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { backgroundJobsDashboard, type BackgroundJobsManager, BackgroundJobState } from 'web-background-jobs';
import { appWithJobs, listen } from '../helpers';
import { launchChromium } from './chromium';

// DNS rebinding, played in a real browser: Chromium's resolver maps rebind.example to 127.0.0.1, as an
// attacker's DNS does once its answer switches to this machine. A page of http://rebind.example:PORT then
// reaches the dashboard on the loopback port, and the browser treats the dashboard as that page's own origin.
const REBOUND = 'rebind.example';

jest.setTimeout(60_000);

let browser: Browser;
let server: Server;
let manager: BackgroundJobsManager;
let port: number;

beforeAll(async () => {
  browser = await launchChromium([`--host-resolver-rules=MAP ${REBOUND} 127.0.0.1`]);
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  const jobs = appWithJobs({ isolation: 'inline' });
  manager = jobs.manager;
  // The attacker's page: any document of the rebound origin will do, its script is what matters.
  jobs.app.get('/', (_req, res) => void res.type('html').send('<!doctype html><title>a page</title>'));
  jobs.app.use('/jobs', backgroundJobsDashboard());
  server = await listen(jobs.app);
  port = (server.address() as { port: number }).port;
});

afterEach(() => new Promise((resolve) => server.close(resolve)));

interface Answer {
  status: number;
  body: { token?: string; jobs?: { uuid: string }[]; state?: string; code?: string; error?: string };
}

/**
 * What the script of a page at `host` gets from the dashboard when it does what the page of the issue did: reads
 * the CSRF token and the job list, then cancels the job `uuid` with the token it got.
 */
async function runPageScript(
  host: string,
  uuid: string,
): Promise<Record<'token' | 'jobs' | 'cancel', Answer>> {
  const page = await browser.newPage();
  try {
    await page.goto(`http://${host}:${port}/`);
    return await page.evaluate(async (uuid) => {
      const answer = async (response: Response): Promise<Answer> => ({
        status: response.status,
        body: (await response.json()) as Answer['body'],
      });
      const token = await answer(await fetch('/jobs/api/csrf-token'));
      const jobs = await answer(await fetch('/jobs/api/jobs'));
      const cancel = await answer(
        await fetch(`/jobs/api/jobs/${uuid}/cancel`, {
          method: 'POST',
          headers: { 'X-CSRF-Token': token.body.token ?? '' },
        }),
      );
      return { token, jobs, cancel };
    }, uuid);
  } finally {
    await page.close();
  }
}

describe('the dashboard against DNS rebinding, in Chromium', () => {
  test('a page at a rebound name gets 403 for the CSRF token, the job list and cancel, and the job runs on', async () => {
    const job = await manager.execute('Jobs.Forever');
    const answers = await runPageScript(REBOUND, job.uuid);
    const refused = {
      status: 403,
      body: {
        code: 'WBJ_FORBIDDEN',
        error: expect.stringMatching(
          new RegExp(
            `Host header "${REBOUND.replace(/\./g, '\\.')}:${port}" is not localhost, 127\\.0\\.0\\.1 or \\[::1\\]`,
          ),
        ),
      },
    };
    expect(answers).toEqual({ token: refused, jobs: refused, cancel: refused });
    expect(job.state).toBe(BackgroundJobState.Active);
  });

  test('the same page at 127.0.0.1 reads the token and the job list, and cancels', async () => {
    const job = await manager.execute('Jobs.Forever');
    const answers = await runPageScript('127.0.0.1', job.uuid);
    expect(answers.token).toEqual({ status: 200, body: { token: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(answers.jobs).toMatchObject({ status: 200, body: { jobs: [{ uuid: job.uuid }] } });
    expect(answers.cancel).toMatchObject({ status: 200, body: { state: 'Canceled' } });
    expect(job.state).toBe(BackgroundJobState.Canceled);
  });
});
