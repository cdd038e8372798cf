import type { Browser } from 'playwright-core';
import { type RedisServer, startRedis } from '../redisServer';
import { launchChromium } from './chromium';
import {
  buildReport,
  type DemoInstance,
  monthMessages,
  openLongOperation,
  pageErrors,
  scenarios,
  shown,
  startDemoInstance,
  stateShown,
} from './longOperationPage';
import { type SwitchingProxy, startSwitchingProxy } from './switchingProxy';

// The demo's long-operation page in Chromium on a Redis store, where the job runs on another instance than the one
// serving the page and its event stream: a worker instance runs the jobs, web-only instances (`worker: false`)
// answer the browser through a proxy, as behind a load balancer. The stream survives a rolling restart of the
// instance serving it, and a proxy that breaks the stream leaves runJob long polling.

jest.setTimeout(120_000);

let browser: Browser;
let redis: RedisServer;
let worker: DemoInstance;
/** The web-only instance the proxy points at now. */
let web: DemoInstance;
let proxy: SwitchingProxy;

const webOnly = () => startDemoInstance({ store: redis.url, worker: false });

beforeAll(async () => {
  [browser, redis] = await Promise.all([launchChromium(), startRedis()]);
  [worker, web] = await Promise.all([startDemoInstance({ store: redis.url }), webOnly()]);
  proxy = await startSwitchingProxy(web.url);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all([browser?.close(), worker?.stop(), web?.stop()]);
  await redis?.stop();
});

afterEach(() => {
  proxy.refuseStreams = false;
  expect(pageErrors.splice(0)).toEqual([]);
});

describe('a long operation from the browser, the job on another instance (Redis store)', () => {
  test('the page served by a web-only instance shows the progress and messages of the job running on the worker, then its result', () =>
    scenarios.liveReport(browser, proxy.url));

  test('Cancel on the page cancels the job running on the worker', () =>
    scenarios.cancel(browser, proxy.url));

  test('a job failing on the worker shows Failed with the description of its error', () =>
    scenarios.failure(browser, proxy.url));

  test('when a proxy refuses the event stream, runJob tries it twice, then long-polls: every message once, then the result', async () => {
    proxy.refuseStreams = true;
    const page = await openLongOperation(browser, proxy.url);
    await buildReport(page, 2);
    await stateShown(page, 'Completed');
    const { uuid, messages } = await shown(page);
    expect(messages).toEqual(monthMessages(2));
    expect(proxy.streams.filter((stream) => stream.path.includes(uuid))).toHaveLength(2);
    await page.context().close();
  });

  test('when the stream drops mid-job and the proxy then refuses it, runJob goes on by long polling without repeating or losing a message', async () => {
    const page = await openLongOperation(browser, proxy.url);
    await buildReport(page, 4);
    await page.locator('#messages li').nth(1).waitFor({ timeout: 30_000 }); // two messages through the stream
    proxy.refuseStreams = true;
    proxy.dropStreams();
    await stateShown(page, 'Completed');
    const { uuid, messages } = await shown(page);
    expect(messages).toEqual(monthMessages(4));
    // The stream, then the browser's own reconnect, refused: two errors without an event between, so runJob polls.
    const streams = proxy.streams.filter((stream) => stream.path.includes(uuid));
    expect(streams).toHaveLength(2);
    expect(streams[0]!.lastEventId).toBeUndefined();
    expect(Number(streams[1]!.lastEventId)).toBeGreaterThanOrEqual(2);
    await page.context().close();
  });

  test('the event stream survives a rolling restart of the instance serving it: the client reconnects with Last-Event-ID and shows every message once, in order', async () => {
    const page = await openLongOperation(browser, proxy.url);
    await buildReport(page, 6);
    await page.locator('#messages li').nth(1).waitFor({ timeout: 30_000 }); // two messages through the first stream
    const replacement = await webOnly();
    const serving = web;
    proxy.target = replacement.url;
    web = replacement;
    await serving.stop('SIGKILL'); // a crash: the stream's connection drops, the browser reconnects through the proxy
    await stateShown(page, 'Completed');
    const { uuid, messages } = await shown(page);
    expect(messages).toEqual(monthMessages(6));
    // The first stream went to the instance that crashed; the browser's reconnect, to its replacement, resumed
    // after the messages it had: at least the two seen before the crash.
    const [first, reconnect] = proxy.streams.filter((stream) => stream.path.includes(uuid));
    expect(first).toMatchObject({ target: serving.url, lastEventId: undefined });
    expect(reconnect).toMatchObject({ target: replacement.url, lastEventId: expect.stringMatching(/^\d+$/) });
    expect(Number(reconnect!.lastEventId)).toBeGreaterThanOrEqual(2);
    await page.context().close();
  });
});
