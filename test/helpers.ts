import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackgroundJobsManager, type BackgroundJobsOptions, type Logger } from '../src';

/** The fixture handlers folder (`Reports.js`, `Jobs.js`, `Probe.js`…). */
export const HANDLERS = path.join(__dirname, 'fixtures', 'handlers');

/** The registry a test shares with its inline handlers (see fixtures/registry.js). */
export const registry: {
  manager: BackgroundJobsManager | undefined;
  starts: number;
} = require('./fixtures/registry');

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
// A failed assertion must not leave a job running (and Jest waiting for its timers).
afterEach(async () => {
  const active = await Promise.all(
    managers.splice(0).map((manager) => manager.getBackgroundJobs({ state: 'Active' })),
  );
  active.flat().forEach((job) => job.cancel());
});

/** A manager on the fixture handlers with a recording logger, no web.config read from the working folder. */
export function createManager(options: BackgroundJobsOptions = {}): BackgroundJobsManager {
  const manager = new BackgroundJobsManager({
    config: emptyConfig(),
    handlers: HANDLERS,
    logger: recordingLogger(),
    ...options,
  });
  managers.push(manager);
  return manager;
}

const temporary: string[] = [];
afterAll(() => temporary.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** A fresh folder, removed after the test file. */
export function tempDir(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'wbj-test-'));
  temporary.push(folder);
  return folder;
}

/** Writes a web.config with these `<appSettings>` lines into a fresh folder and returns its path. */
export function writeConfig(appSettings: string, folder = tempDir()): string {
  const file = path.join(folder, 'web.config');
  writeFileSync(
    file,
    `<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n${appSettings}\n  </appSettings>\n</configuration>\n`,
  );
  return file;
}

let attachingConfig: string | undefined;
function emptyConfig(): string {
  return (attachingConfig ??= writeConfig('    <add key="WebBackgroundJobs" value="attachAssembly" />'));
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
