import type { Server } from 'node:http';
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { type BackgroundJobsDashboardOptions, backgroundJobsDashboard } from 'web-background-jobs';
import { createManager, listen } from '../helpers';
import { check, timeoutFor } from './fuzz';
import { FUZZ_HANDLERS } from './recipes';

// Everything about a dashboard request is the client's to choose. Whatever it sends, the dashboard answers 200,
// 400, 403 or 404 (an error as JSON with a code), never 500; without authorize, nothing gets 200 unless it was
// sent straight (no proxy header) to a loopback name; cancel needs the CSRF token and a matching Origin.

/** The apps under test: Express's default query parser or qs, authorize or the loopback rule, trust proxy. */
const VARIANTS = {
  'the loopback rule': { options: {}, settings: {} },
  'the loopback rule with the extended query parser': {
    options: {},
    settings: { 'query parser': 'extended' },
  },
  'the loopback rule under trust proxy': { options: {}, settings: { 'trust proxy': 'loopback' } },
  'an authorize option': {
    options: { authorize: (req: express.Request) => req.get('x-fuzz-allow') === 'yes' },
    settings: {},
  },
} satisfies Record<string, { options: BackgroundJobsDashboardOptions; settings: Record<string, string> }>;

const PROXY_HEADERS = [
  'x-forwarded-for',
  'forwarded',
  'x-real-ip',
  'x-forwarded-host',
  'x-forwarded-proto',
  'via',
];
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/** Text a header may carry (Node refuses to send control characters). */
const headerText = fc
  .string({ unit: 'binary-ascii', maxLength: 30 })
  .map((text) => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, ''));

/** Everything a client chose, with the real job UUIDs and token to draw from (`{uuid}`, `{token}`, `{port}`). */
const PARAMETERS = ['uuid', 'key', 'methodName', 'description', 'state', 'offset', 'limit', 'q', 'lang'];
const queryName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PARAMETERS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a[]',
      'a[b]',
      'state[]',
      'offset[x]',
      'limit[0]',
      '__proto__',
      '__proto__[x]',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'hasOwnProperty', 'unknown', '') },
);
const queryValue = fc.oneof(
  fc.constantFrom(
    'Active',
    'Completed',
    'Failed',
    'Canceled',
    'Завершено',
    'active',
    'Values.Echo',
    'K1',
    '{uuid}',
  ),
  fc.constantFrom('0', '1', '50', '500', '501', '-1', '1e3', '9007199254740993', '00', ' 5', 'ru', 'en', ''),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  // Long, within Node's 16 KB for a request's head (beyond it Node itself answers 431, before any app).
  fc.integer({ min: 1_000, max: 2_500 }).map((length) => 'x'.repeat(length)),
);
/** A query string as sent: names and values percent-encoded or not, repeated, with stray `%` sequences. */
const queryString = fc
  .array(
    fc.tuple(
      queryName,
      fc.option(queryValue, { nil: undefined }),
      fc.boolean(),
      fc.constantFrom('', '%', '%Z', '%E0%A4'),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs
      .map(([name, value, encode, stray]) => {
        const written = (text: string) => (encode ? encodeURIComponent(text) : encodeURI(text));
        return value === undefined ? written(name) : `${written(name)}=${written(value)}${stray}`;
      })
      .join('&'),
  );

const uuidSegment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('{uuid}', '{UUID}') },
  { weight: 1, arbitrary: fc.uuid().map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('..', '%ZZ', '%00', '%2F', 'api', '%E0%A4%A', 'x'.repeat(3000), 'null', '%20'),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 10 }).map(encodeURIComponent) },
);

const route = fc.oneof(
  fc.constant({ method: 'get' as const, path: '/jobs/' }),
  queryString.map((query) => ({ method: 'get' as const, path: `/jobs/api/jobs?${query}` })),
  uuidSegment.map((uuid) => ({ method: 'get' as const, path: `/jobs/api/jobs/${uuid}` })),
  fc.constant({ method: 'get' as const, path: '/jobs/api/csrf-token' }),
  uuidSegment.map((uuid) => ({ method: 'post' as const, path: `/jobs/api/jobs/${uuid}/cancel` })),
);

const host = fc.oneof(
  fc.constantFrom('127.0.0.1:{port}', 'localhost:{port}', 'LocalHost', '[::1]:80', 'localhost:99999'),
  fc.constantFrom('localhost.', 'evil.example:{port}', 'rebind.example', '127.0.0.2', '127.0.0.1.nip.io', ''),
  headerText,
);
const origin = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:{port}',
    'http://localhost:{port}',
    'http://evil.example',
    'null',
    '{host}',
  ),
  headerText,
);

/** Headers a client chose; the ones only proxies add come in one draw out of four. */
const anyHeaders = fc
  .tuple(
    fc.record(
      {
        host,
        origin,
        'x-csrf-token': fc.oneof(fc.constantFrom('{token}', '{token}x', ''), headerText),
        'accept-language': headerText,
        'x-fuzz-allow': fc.constantFrom('yes', 'no'),
      },
      { requiredKeys: ['host'] },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      fc
        .subarray(PROXY_HEADERS, { minLength: 1 })
        .chain((names) =>
          fc
            .tuple(...names.map(() => headerText))
            .map((values) => Object.fromEntries(names.map((name, at) => [name, values[at]]))),
        ),
    ),
  )
  .map(([chosen, proxied]): Record<string, string> => ({ ...chosen, ...proxied }));

/** Headers of the dashboard's own page: a loopback Host, the token, the page's own Origin or none. */
const pageHeaders = fc.record(
  {
    host: fc.constantFrom('127.0.0.1:{port}', 'localhost:{port}', 'LocalHost'),
    origin: fc.constantFrom('{host}', 'http://localhost:{port}'),
    'x-csrf-token': fc.constant('{token}'),
    'x-fuzz-allow': fc.constant('yes'),
  },
  { requiredKeys: ['host', 'x-csrf-token', 'x-fuzz-allow'] },
);

const headers = fc.oneof({ weight: 3, arbitrary: anyHeaders }, pageHeaders);

/** A request with its placeholders filled in. */
function filled(text: string, values: Record<string, string>): string {
  return text.replace(/\{(uuid|UUID|token|port|host)\}/g, (_, name: string) => values[name]);
}

describe('fuzzing the dashboard', () => {
  test.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])(
    'any query and headers get 200, 400, 403 or 404 with a coded JSON error, and 200 only when allowed [%s]',
    async (variant) => {
      const { options, settings } = VARIANTS[variant];
      const manager = createManager({ handlers: FUZZ_HANDLERS, isolation: 'inline' });
      const app = express();
      for (const [name, value] of Object.entries(settings)) app.set(name, value);
      app.use('/jobs', backgroundJobsDashboard({ manager, ...options }));
      const server: Server = await listen(app);
      const port = String((server.address() as { port: number }).port);
      try {
        const done = await manager.execute('Values.Echo', [1], 'K1', 'done');
        const failed = await manager.execute('Values.Build', [['throwingThen']]);
        await manager.waitForExecutionCompletion([done, failed], 30);
        const running = await manager.execute('Values.WaitForCancel');
        const token = (
          await request(server)
            .get('/jobs/api/csrf-token')
            .set('Host', `localhost:${port}`)
            .set('X-Fuzz-Allow', 'yes')
        ).body.token as string;
        const uuids = [done.uuid, failed.uuid, running.uuid];
        /** Whether the dashboard may serve a request with these headers. */
        const allowed = (sent: Record<string, string>): boolean =>
          'authorize' in options
            ? sent['x-fuzz-allow'] === 'yes'
            : LOOPBACK_HOST.test(sent.host) &&
              !PROXY_HEADERS.some((name) => name in sent) &&
              !('trust proxy' in settings);
        await check(
          fc.asyncProperty(route, headers, fc.nat(2), async ({ method, path }, given, which) => {
            const values = { port, token, uuid: uuids[which], UUID: uuids[which].toUpperCase(), host: '' };
            const sent: Record<string, string> = {};
            for (const [name, value] of Object.entries(given)) sent[name] = filled(value, values);
            if (sent.origin !== undefined)
              sent.origin = filled(sent.origin, { ...values, host: `http://${sent.host}` });
            const response = await request(server)[method](filled(path, values)).set(sent);
            const answer = `${method.toUpperCase()} ${filled(path, values).slice(0, 200)} ${JSON.stringify(sent)} → ${response.status} ${response.text.slice(0, 300)}`;
            if (![200, 400, 403, 404].includes(response.status))
              throw new Error(`Unexpected status: ${answer}`);
            if (response.status !== 200 && typeof response.body?.code !== 'string') {
              throw new Error(`An error without a JSON code: ${answer}`);
            }
            if (response.status !== 200) return;
            if (!allowed(sent)) throw new Error(`Served without being allowed: ${answer}`);
            if (method === 'post') {
              const sameOrigin =
                sent.origin === undefined || URL.parse(sent.origin)?.host === sent.host.toLowerCase();
              if (sent['x-csrf-token'] !== token || !sameOrigin)
                throw new Error(`A forged cancel was served: ${answer}`);
            }
          }),
          200,
        );
        // And the dashboard still answers as it did.
        const fine = { host: `localhost:${port}`, 'x-fuzz-allow': 'yes' };
        await request(server)
          .get('/jobs/api/jobs')
          .set(fine)
          .expect(allowed(fine) ? 200 : 403);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    },
    timeoutFor(200, 100),
  );
});
