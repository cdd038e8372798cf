import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { HANDLERS, ROOT, writeConfig } from '../helpers';

/** A web app instance in a process of its own (test/fixtures/process/redis-instance.mjs) on a Redis store. */
export interface AppInstance {
  readonly url: string;
  readonly pid: number;
  /** Kills the process at once (SIGKILL): no shutdown, as a crash. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
afterEach(() => Promise.all([...running].map((child) => killed(child))));

/**
 * Starts an instance whose web.config sets `jobsStore` to `redisUrl` and the given `<appSettings>` (inline jobs,
 * `jobsLostWorkerSeconds` 1 unless given) and `<scheduledJobs>` lines, on the fixture handlers unless `handlers`
 * names another folder, and resolves once it listens. Killed after the test.
 */
export async function startInstance(
  redisUrl: string,
  settings: Record<string, string>,
  scheduledJobs?: string,
  handlers = HANDLERS,
): Promise<AppInstance> {
  const all = {
    WebBackgroundJobs: 'attachAssembly',
    jobsStore: redisUrl,
    jobsIsolation: 'inline',
    jobsLostWorkerSeconds: '1',
    ...settings,
  };
  const config = writeConfig(
    Object.entries(all)
      .map(([key, value]) => `    <add key="${key}" value="${value}" />`)
      .join('\n'),
    undefined,
    scheduledJobs,
  );
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'test/fixtures/process/redis-instance.mjs'), handlers],
    {
      cwd: ROOT,
      env: { ...process.env, WBJ_CONFIG: config },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  running.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((each) => each.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`The app instance exited with ${code} before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, kill: () => killed(child) };
}

function killed(child: ChildProcess): Promise<void> {
  running.delete(child);
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
