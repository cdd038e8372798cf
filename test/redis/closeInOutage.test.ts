import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { HANDLERS, ROOT } from '../helpers';
import { type RedisServer, startRedis } from '../redisServer';

// close() while Redis is out of reach: BullMQ's own close would wait for ever for connections that are waiting to
// reconnect, and those it never reached would go on reconnecting, keeping the process alive. Each case runs a manager
// in a process of its own, stops Redis, closes the manager, and waits for the process to end by itself.
jest.setTimeout(60_000);

const running = new Set<ChildProcess>();
const servers = new Set<RedisServer>();
afterEach(async () => {
  [...running].forEach((child) => child.kill('SIGKILL'));
  await Promise.all([...servers].map((server) => server.stop())); // restarted ones too
  servers.clear();
});

/** A redis-server of the test's own, stopped after it. */
async function redisServer(): Promise<RedisServer> {
  const server = await startRedis();
  servers.add(server);
  return server;
}

/** Resolves when `child` prints `line`. */
function printed(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (each) => each === line && resolve());
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${line}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );
}

test.each([
  ['a worker', 'worker'],
  ['a worker running a job', 'running'],
  ['a web-only instance', 'web'],
])(
  'close() of %s while Redis is out of reach settles, and leaves nothing that keeps the process alive',
  async (_, role) => {
    const redis = await redisServer();
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'test/fixtures/process/close-in-outage.mjs'), redis.url, role, HANDLERS],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    running.add(child);
    await printed(child, 'ready');
    await redis.stop();
    const closed = printed(child, 'closed');
    child.stdin!.write('close\n');
    await closed;
    expect(await exited(child)).toBe(0);
  },
);

test.each([
  ['just after Redis came back, its connections still waiting to reconnect', 'back'],
  ['as Redis comes back, before this instance has heard it', 'restarted'],
])('close() of a worker %s settles, and leaves nothing that keeps the process alive', async (_, when) => {
  const redis = await redisServer();
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'test/fixtures/process/close-in-outage.mjs'), redis.url, 'worker', HANDLERS],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  running.add(child);
  await printed(child, 'ready');
  const lost = printed(child, 'lost');
  await redis.stop();
  await lost;
  const back = when === 'back' ? printed(child, 'back') : undefined;
  await redis.restart();
  await back; // its own connection is back; BullMQ's each reconnect on their own time
  const closed = printed(child, 'closed');
  child.stdin!.write('close\n');
  await closed;
  expect(await exited(child)).toBe(0);
});
