import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import net from 'node:net';
import type express from 'express';
import request from 'supertest';
import {
  type BackgroundJobsDashboardOptions,
  backgroundJobsDashboard,
  BackgroundJobState,
} from 'web-background-jobs';
import { appWithJobs } from '../helpers';

// Who may reach the dashboard, and from which pages: the loopback-only default against DNS rebinding and
// proxies, Express's trust proxy, and the cross-site checks of cancel.

/**
 * An app with the middleware and the dashboard at /jobs, served on a free port of `host`; `trustProxy` is
 * Express's setting.
 */
async function served(options: BackgroundJobsDashboardOptions = {}, trustProxy?: unknown, peer?: string) {
  const { app, manager } = appWithJobs({ isolation: 'inline' }); // where the job runs is beside the point here
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  // What Express itself makes of the client's address, to show what a forged header did to it.
  app.get('/ip', (req, res) => void res.json({ ip: req.ip }));
  app.use('/jobs', backgroundJobsDashboard(options));
  const server = await serve(app, peer);
  return { app, manager, server, port: (server.address() as net.AddressInfo).port };
}

const servers: Server[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done)))));

/**
 * Serves `handler` on a free loopback port, closed after the test. With `peer`, every connection it accepts
 * reports that remote address, as a client's from another host would: the tests send no traffic off this machine.
 */
function serve(handler: http.RequestListener, peer?: string): Promise<Server> {
  const server = http.createServer(handler);
  if (peer !== undefined) {
    server.on('connection', (socket) => Object.defineProperty(socket, 'remoteAddress', { value: peer }));
  }
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function csrfToken(app: express.Express | Server): Promise<string> {
  return (await request(app).get('/jobs/api/csrf-token').expect(200)).body.token;
}

/**
 * A reverse proxy on `host` in front of the app on 127.0.0.1:`port`: `bare` forwards as nginx's plain
 * `proxy_pass http://127.0.0.1:PORT` does (no header added, Host rewritten to the upstream); `appending` adds the
 * client's address to `X-Forwarded-For` as `$proxy_add_x_forwarded_for` does.
 */
async function proxyTo(port: number, kind: 'bare' | 'appending', peer?: string): Promise<number> {
  const proxy = await serve((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers, host: `127.0.0.1:${port}` };
    if (kind === 'appending') {
      const forwarded = req.headers['x-forwarded-for'];
      headers['x-forwarded-for'] = [forwarded, req.socket.remoteAddress].filter(Boolean).join(', ');
    }
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  }, peer);
  return (proxy.address() as net.AddressInfo).port;
}

/** A client on another host, as a server of {@link serve} sees it (a documentation address, never contacted). */
const REMOTE = '203.0.113.7';

/** GET `path` on loopback `port` with these headers; resolves with status and body. */
function get(port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: { ip?: string; code?: string; error?: string } }>(
    (resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        })
        .on('error', reject);
    },
  );
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The body of a 403 of the loopback-only rule, refused for `reason`. */
const notLocal = (reason: string | RegExp) => ({
  code: 'WBJ_FORBIDDEN',
  error: expect.stringMatching(
    new RegExp(
      `answers only requests from this machine.*${typeof reason === 'string' ? escape(reason) : reason.source}.*Give backgroundJobsDashboard an authorize\\(req\\) option to let other hosts and clients in`,
    ),
  ),
});

describe('without authorize, the dashboard answers only loopback names in Host (DNS rebinding)', () => {
  test.each([
    ['GET', '/jobs/'],
    ['GET', '/jobs/api/jobs'],
    ['GET', '/jobs/api/jobs/:uuid'],
    ['GET', '/jobs/api/csrf-token'],
    ['POST', '/jobs/api/jobs/:uuid/cancel'],
    ['GET', '/jobs/no-such-route'],
  ])(
    '%s %s with Host evil.example:3000 is refused with 403 saying why; the job runs on',
    async (method, route) => {
      const { app, manager } = await served();
      const job = await manager.execute('Jobs.Forever');
      const token = await csrfToken(app);
      const path = route.replace(':uuid', job.uuid);
      const call = method === 'GET' ? request(app).get(path) : request(app).post(path);
      const { body } = await call.set({ Host: 'evil.example:3000', 'X-CSRF-Token': token }).expect(403);
      expect(body).toEqual(
        notLocal(
          /its Host header "evil\.example:3000" is not localhost, 127\.0\.0\.1 or \[::1\].*DNS rebinding/,
        ),
      );
      expect(job.state).toBe(BackgroundJobState.Active);
    },
  );

  test.each([
    'localhost:3000',
    'LOCALHOST:3000',
    'localhost',
    '127.0.0.1:8080',
    '127.0.0.1',
    '[::1]:3000',
    '[::1]',
  ])('Host %s is a loopback name: every route answers', async (host) => {
    const { app, manager } = await served();
    const job = await manager.execute('Jobs.Forever');
    await request(app).get('/jobs/').set('Host', host).expect(200);
    await request(app).get('/jobs/api/jobs').set('Host', host).expect(200);
    await request(app).get(`/jobs/api/jobs/${job.uuid}`).set('Host', host).expect(200);
    const token = (await request(app).get('/jobs/api/csrf-token').set('Host', host).expect(200)).body.token;
    await request(app)
      .post(`/jobs/api/jobs/${job.uuid}/cancel`)
      .set({ Host: host, 'X-CSRF-Token': token })
      .expect(200);
    expect(job.state).toBe(BackgroundJobState.Canceled);
  });

  test.each([
    'evil.example',
    'localhost.',
    'localhost.:3000',
    'localhost.evil.example',
    'jobs.localhost',
    '127.0.0.1.nip.io',
    '127.0.0.2',
    '[::ffff:127.0.0.1]',
    '0.0.0.0:3000',
    'localhost:3000:3000',
    'localhost:http',
    'localhost@evil.example',
    '',
  ])('Host %p is not a loopback name: 403', async (host) => {
    const { app } = await served();
    const { body } = await request(app).get('/jobs/api/csrf-token').set('Host', host).expect(403);
    expect(body).toEqual(notLocal(`its Host header ${JSON.stringify(host)} is not`));
  });

  test('a request without a Host header (HTTP/1.0) is refused: its Host is not a loopback name', async () => {
    const { port } = await served();
    const socket = net.connect(port, '127.0.0.1');
    socket.end('GET /jobs/api/csrf-token HTTP/1.0\r\n\r\n');
    let text = '';
    for await (const chunk of socket) text += chunk;
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual(notLocal(/it has no Host header/));
  });

  test('cancel from a page of a rebound name is a cross-site request even with a loopback Host', async () => {
    const { app, manager, port } = await served();
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(app);
    for (const origin of [`http://rebind.example:${port}`, `http://localhost:${port}`]) {
      const { body } = await request(app)
        .post(`/jobs/api/jobs/${job.uuid}/cancel`)
        .set({ Host: `127.0.0.1:${port}`, Origin: origin, 'X-CSRF-Token': token })
        .expect(403);
      expect(body.error).toContain(
        `the request comes from another origin (${origin}) than the host it was sent to (127.0.0.1:${port})`,
      );
    }
    expect(job.state).toBe(BackgroundJobState.Active);
  });

  test('authorize lets other hosts in: it decides instead of the loopback rule', async () => {
    const { app } = await served({ authorize: () => true });
    await request(app).get('/jobs/api/jobs').set('Host', 'jobs.example.com').expect(200);
  });
});

describe('without authorize, a request a proxy forwarded is not local', () => {
  test.each([
    ['X-Forwarded-For', '203.0.113.7'],
    ['Forwarded', 'for=203.0.113.7'],
    ['X-Real-IP', '203.0.113.7'],
    ['X-Forwarded-Host', 'jobs.example.com'],
    ['X-Forwarded-Proto', 'https'],
    ['Via', '1.1 proxy'],
  ])('a request with %s is refused with 403 naming the header', async (header, value) => {
    const { app } = await served();
    for (const path of ['/jobs/', '/jobs/api/jobs', '/jobs/api/csrf-token']) {
      const { body } = await request(app).get(path).set(header, value).expect(403);
      expect(body).toEqual(notLocal(`it came through a proxy (it carries ${header})`));
    }
  });

  test('a direct request from an address other than loopback is refused, whatever its Host', async () => {
    const { port } = await served({}, undefined, REMOTE);
    const { status, body } = await get(port, '/jobs/api/csrf-token', { Host: `localhost:${port}` });
    expect(status).toBe(403);
    expect(body).toEqual(notLocal(`it came from ${REMOTE}`));
  });
});

describe("without authorize, Express's trust proxy never lets a proxied or forged request pass", () => {
  test.each([
    [true, 'the forged 127.0.0.1'],
    [2, 'the forged 127.0.0.1'],
    ['loopback', 'the client'],
    [1, 'the client'],
  ])(
    'trust proxy %p: a remote client forging X-Forwarded-For: 127.0.0.1 through a local proxy is refused (req.ip: %s)',
    async (trustProxy, ip) => {
      const { port } = await served({}, trustProxy);
      const proxy = await proxyTo(port, 'appending', REMOTE);
      const forged = { 'X-Forwarded-For': '127.0.0.1', Host: `localhost:${proxy}` };
      // What Express makes of it: with trust proxy true or 2 hops, the forgery took.
      expect((await get(proxy, '/ip', forged)).body.ip).toBe(ip === 'the client' ? REMOTE : '127.0.0.1');
      const { status, body } = await get(proxy, '/jobs/api/csrf-token', forged);
      expect(status).toBe(403);
      expect(body).toEqual(notLocal('it came through a proxy (it carries X-Forwarded-For)'));
    },
  );

  test('trust proxy true: a direct remote client forging X-Forwarded-For: 127.0.0.1 is refused', async () => {
    const { port } = await served({}, true, REMOTE);
    const headers = { 'X-Forwarded-For': '127.0.0.1', Host: `localhost:${port}` };
    expect((await get(port, '/ip', headers)).body.ip).toBe('127.0.0.1');
    const { status, body } = await get(port, '/jobs/api/jobs', headers);
    expect(status).toBe(403);
    expect(body).toEqual(notLocal(`it came from ${REMOTE}`));
  });

  test.each([true, 'loopback', 1, (address: string) => address === '127.0.0.1'])(
    'trust proxy %p names the loopback peer a proxy: a request from it without any forwarding header (a bare proxy_pass) is refused',
    async (trustProxy) => {
      const { port } = await served({}, trustProxy);
      const proxy = await proxyTo(port, 'bare');
      const { body } = await request(`http://127.0.0.1:${proxy}`).get('/jobs/api/csrf-token').expect(403);
      expect(body).toEqual(
        notLocal("it came from 127.0.0.1, which the app's trust proxy setting names a proxy"),
      );
    },
  );

  test.each([false, 0, '10.0.0.1', ['10.0.0.1', '10.0.0.2']])(
    'trust proxy %p does not name the loopback peer a proxy: a direct local request is served',
    async (trustProxy) => {
      const { server } = await served({}, trustProxy);
      await request(server).get('/jobs/api/csrf-token').expect(200);
    },
  );
});

describe('cancel with authorize: Origin must match the host the browser addressed', () => {
  test('behind a trusted proxy, Origin is compared with X-Forwarded-Host', async () => {
    const { manager, server, port } = await served({ authorize: () => true }, 'loopback');
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(server);
    const cancel = (origin: string) =>
      request(server)
        .post(`/jobs/api/jobs/${job.uuid}/cancel`)
        .set({ 'X-CSRF-Token': token, 'X-Forwarded-Host': 'jobs.example.com', Origin: origin });
    const local = `http://127.0.0.1:${port}`;
    expect((await cancel(local).expect(403)).body.error).toContain(
      `another origin (${local}) than the host it was sent to (jobs.example.com)`,
    );
    expect(job.state).toBe(BackgroundJobState.Active);
    await cancel('https://jobs.example.com').expect(200);
    expect(job.state).toBe(BackgroundJobState.Canceled);
  });

  test('without trust proxy, X-Forwarded-Host is the client’s word and is ignored: Origin must match Host', async () => {
    const { manager, server, port } = await served({ authorize: () => true });
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(server);
    const { body } = await request(server)
      .post(`/jobs/api/jobs/${job.uuid}/cancel`)
      .set({ 'X-CSRF-Token': token, 'X-Forwarded-Host': 'evil.example', Origin: 'http://evil.example' })
      .expect(403);
    expect(body.error).toContain(
      `another origin (http://evil.example) than the host it was sent to (127.0.0.1:${port})`,
    );
    expect(job.state).toBe(BackgroundJobState.Active);
  });

  test('an Origin that is not a URL is refused', async () => {
    const { manager, server } = await served({ authorize: () => true });
    const job = await manager.execute('Jobs.Forever');
    const token = await csrfToken(server);
    const { body } = await request(server)
      .post(`/jobs/api/jobs/${job.uuid}/cancel`)
      .set({ 'X-CSRF-Token': token, Origin: 'not a url' })
      .expect(403);
    expect(body.error).toContain('another origin (not a url)');
    expect(job.state).toBe(BackgroundJobState.Active);
  });
});
