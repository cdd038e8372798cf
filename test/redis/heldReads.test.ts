import { Redis } from 'ioredis';
import { createManager, eventually, useRedisStore } from '../helpers';

// An instance reads from Redis what it needs for the jobs it holds (a local job handed to a caller) or runs; the
// events of every other job go by it unread. Observed with MONITOR, which names the connection of each command and
// says `lua` for those a script runs.

const JOBS = 50;

describe('what a Redis instance reads of the jobs it hears of', () => {
  useRedisStore();

  test('a worker running jobs another instance executed, and an idle instance beside it, read none of their begins', async () => {
    const queueName = `test-${process.pid}-held-reads`;
    const producer = createManager({ queueName, worker: false });
    await Promise.all(Array.from({ length: JOBS }, () => producer.execute('Logs.Ignore', [])));
    await producer.close();
    const probe = new Redis(producer.settings.store);
    const monitor = await probe.monitor();
    const beginsRead: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args[0]?.toLowerCase() === 'hget' && args[2] === 'processedOn')
        beginsRead.push(args[1]!);
    });
    try {
      createManager({ queueName, worker: false });
      createManager({ queueName });
      await eventually(
        async () => expect(await probe.zcard(`bull:${queueName}:completed`)).toBe(JOBS),
        20_000,
      );
      expect(beginsRead).toEqual([]);
    } finally {
      monitor.disconnect();
      probe.disconnect();
    }
  });
});
