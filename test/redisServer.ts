import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { tempDir } from './helpers';

/** A real redis-server of the test's own, on a free loopback port. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stops the server: SIGTERM by default (with `persistent`, it writes its data first), or `SIGKILL`, as a crash
   * (with `persistent`, what the append-only file holds survives, since every write is synced; without it, all is
   * lost).
   */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port, with the same data folder. */
  restart(): Promise<void>;
}

/**
 * Starts redis-server (the Debian package) on a free port of 127.0.0.1 and waits until it answers PING.
 * `persistent` keeps the data across `restart()` (append-only file, fsync on every write).
 */
export async function startRedis({ persistent = false } = {}): Promise<RedisServer> {
  const port = await freePort();
  const folder = tempDir();
  let server: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', folder].concat(
        persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'],
      ),
      { stdio: 'ignore' },
    );
    await answersPing(port);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: start,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (server === undefined || server.exitCode !== null || server.signalCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill(signal);
      }),
  };
}

/** A redis-server of the calling file's own, and a connection to it for the tests to read and steer Redis with. */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  readonly admin: Redis;
}

/**
 * Starts a redis-server of the calling file's (or `describe`'s) own, with an admin connection, before its tests,
 * and stops both after them. Its fields are read in the tests (they exist once `beforeAll` has run).
 */
export function useOwnRedis(): OwnRedis {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useOwnRedis(): read its fields in a test, once beforeAll has run');
    return value;
  };
  return {
    get url() {
      return started(server).url;
    },
    get port() {
      return started(server).port;
    },
    get admin() {
      return started(admin);
    },
  };
}

/** A port of 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function answersPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (pong) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
