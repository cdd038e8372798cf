import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import express from 'express';
import {
  backgroundJobs,
  type BackgroundJobsMiddlewareOptions,
  BackgroundJobsManager,
  type BackgroundJobsOptions,
  type Isolation,
  type Logger,
} from 'web-background-jobs';
import { type RedisServer, startRedis } from './redisServer';

/** The fixture handlers folder (`Reports.js`, `Jobs.js`, `Probe.js`…). */
export const HANDLERS = path.join(__dirname, 'fixtures', 'handlers');

/** The registry a test shares with its inline handlers (see fixtures/registry.js). */
export const registry: {
  manager: BackgroundJobsManager | undefined;
  beforeEnd: (() => Promise<void>) | undefined;
} = require('./fixtures/registry');

/** Both isolation modes. */
export const ISOLATIONS: readonly Isolation[] = ['inline', 'thread'];

/** Where the shared behaviour suite runs: in memory in each isolation mode, and on a Redis store (inline). */
const SUITE_MODES = [...ISOLATIONS, 'redis'] as const;

/** The Redis URL that {@link createManager} and {@link appWithJobs} use inside a `[redis]` block. */
let redisUnderTest: string | undefined;

/**
 * Declares the tests of `body` once per isolation mode in memory, and once more on a Redis store of the block's
 * own redis-server (inline); their names end with `[inline]`, `[thread]` or `[redis]`.
 */
export function describeEachIsolation(title: string, body: (isolation: Isolation) => void): void {
  describe.each(SUITE_MODES)(`${title} [%s]`, (mode) => {
    if (mode !== 'redis') return body(mode);
    useRedisStore();
    body('inline');
  });
}

/** Inside the calling `describe`: a redis-server of its own, used by every manager the helpers make. */
export function useRedisStore(): void {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
    redisUnderTest = server.url;
  });
  afterAll(async () => {
    redisUnderTest = undefined;
    await server?.stop();
  });
}

/** Whether the running test is in a `[redis]` block. */
export function onRedis(): boolean {
  return redisUnderTest !== undefined;
}

let queues = 0;
/** The store options of the current block: none in memory; the block's Redis and a queue of the manager's own. */
function storeUnderTest(): BackgroundJobsOptions {
  if (redisUnderTest === undefined) return {};
  queues += 1;
  return { store: redisUnderTest, queueName: `test-${process.pid}-${queues}`, lostWorkerSeconds: 2 };
}

/**
 * Retries `assertion` until it passes, for state another thread changes (a worker's messages arrive when they
 * arrive); fails with the assertion's own error after `timeoutMs`.
 */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

export interface RecordingLogger extends Logger {
  readonly lines: { warn: string[]; error: string[] };
}

/** A logger that keeps what it is told, so tests can assert on logs (and the test output stays quiet). */
export function recordingLogger(): RecordingLogger {
  const lines = { warn: [] as string[], error: [] as string[] };
  return {
    lines,
    warn: (line) => lines.warn.push(line),
    error: (line) => lines.error.push(line),
  };
}

const managers: BackgroundJobsManager[] = [];
// A failed assertion must not leave a job running, nor a worker thread (and Jest waiting for them).
afterEach(() => Promise.all(managers.splice(0).map((manager) => manager.close({ graceSeconds: 0 }))));

/** Closes `manager` after the current test (for managers made by the middleware). */
export function closeAfterTest<T extends BackgroundJobsManager | undefined>(manager: T): T {
  if (manager !== undefined) managers.push(manager);
  return manager;
}

/**
 * A manager on the fixture handlers with a recording logger, no web.config read from the working folder;
 * closed after the test.
 */
export function createManager(options: BackgroundJobsOptions = {}): BackgroundJobsManager {
  return closeAfterTest(
    new BackgroundJobsManager({
      config: attachingConfig(),
      handlers: HANDLERS,
      logger: recordingLogger(),
      ...storeUnderTest(),
      ...options,
    }),
  );
}

const temporary: string[] = [];
afterAll(() => temporary.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** A fresh folder, removed after the test file. */
export function tempDir(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'wbj-test-'));
  temporary.push(folder);
  return folder;
}

/**
 * Writes a web.config with these `<appSettings>` lines (and these `<scheduledJobs>` lines, if any) into a fresh
 * folder and returns its path.
 */
export function writeConfig(appSettings: string, folder = tempDir(), scheduledJobs?: string): string {
  const file = path.join(folder, 'web.config');
  const schedules =
    scheduledJobs === undefined ? '' : `  <scheduledJobs>\n${scheduledJobs}\n  </scheduledJobs>\n`;
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n${appSettings}\n  </appSettings>\n${schedules}</configuration>\n`,
  );
  return file;
}

let attaching: string | undefined;
/** A web.config that only attaches the library (shared by the tests of a file). */
export function attachingConfig(): string {
  return (attaching ??= writeConfig('    <add key="WebBackgroundJobs" value="attachAssembly" />'));
}

/** The repository root: scripts run there resolve `web-background-jobs` to the built package (dist/). */
export const ROOT = path.join(__dirname, '..');

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a real Node process (the built package, no Jest sandbox) and collects its output. */
export function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<NodeRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * An Express app with `backgroundJobs(options)` on the fixture handlers and a recording logger; its manager is
 * closed after the test.
 */
export function appWithJobs(options: BackgroundJobsMiddlewareOptions = {}) {
  const middleware = backgroundJobs({
    config: attachingConfig(),
    handlers: HANDLERS,
    logger: recordingLogger(),
    ...storeUnderTest(),
    ...options,
  });
  const manager = closeAfterTest(middleware.manager)!;
  const app = express();
  app.use(middleware);
  return { app, manager, middleware };
}

/** Serves `app` on a free loopback port. */
export function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}
