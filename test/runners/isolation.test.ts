import type { Server } from 'node:http';
import request from 'supertest';
import { BackgroundJobState, type Isolation } from 'web-background-jobs';
import { appWithJobs, listen } from '../helpers';

const SPIN_MS = 2000;

/** An app with a trivial route and one that starts a CPU-bound job, served on a loopback port. */
async function serve(isolation: Isolation) {
  const { app, manager } = appWithJobs({ isolation });
  app.get('/ping', (_req, res) => void res.send('pong'));
  app.post('/spin', async (req, res) => {
    const job = await req.backgroundJobs.execute('Hazards.Spin', [SPIN_MS]);
    res.status(202).json({ uuid: job.uuid });
  });
  const server = await listen(app);
  return { manager, server };
}

/**
 * Starts the spinning job and keeps hitting /ping, one request after another, until the job has been accepted
 * and at least 50 pings have answered; returns the job's response body and the slowest ping, in milliseconds.
 * The client shares the test's thread, so a ping is always in flight when the server starts the job.
 */
async function spinWhilePinging(server: Server): Promise<{ body: { uuid: string }; worst: number }> {
  let accepted = false;
  const posting = request(server)
    .post('/spin')
    .expect(202)
    .then((response) => ((accepted = true), response));
  let worst = 0;
  for (let hits = 0; hits < 50 || !accepted; hits += 1) {
    const started = performance.now();
    await request(server).get('/ping').expect(200, 'pong');
    worst = Math.max(worst, performance.now() - started);
  }
  return { body: (await posting).body, worst };
}

describe('a CPU-bound job and the web server', () => {
  test('thread isolation: while a job spins for 2 s, 50 requests all answer far faster than the job', async () => {
    const { manager, server } = await serve('thread');
    try {
      const { body, worst } = await spinWhilePinging(server);
      const job = (await manager.findByUUID(body.uuid))!;
      // The 50 answers came while the job was still spinning, yet none waited for it.
      expect(job.state).toBe(BackgroundJobState.Active);
      expect(worst).toBeLessThan(200);
      await job.waitForCompletion();
      expect(job.result).toBe(SPIN_MS);
    } finally {
      server.close();
    }
  });

  test('inline isolation (documented limit): the same job holds up every request until it ends', async () => {
    const { manager, server } = await serve('inline');
    try {
      const { body, worst } = await spinWhilePinging(server);
      const job = (await manager.findByUUID(body.uuid))!;
      expect(worst).toBeGreaterThan(SPIN_MS / 2);
      await job.waitForCompletion();
      expect(job.result).toBe(SPIN_MS);
    } finally {
      server.close();
    }
  });
});
