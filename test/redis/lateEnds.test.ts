import { Queue } from 'bullmq';
import type { BackgroundJob, BackgroundJobsManager } from 'web-background-jobs';
import { eventually } from '../helpers';
import { useOwnRedis } from '../redisServer';
import { pausedPair as pausedPairOn } from './pausedPair';

// With jobsHistorySize 0 a job's record is removed as it ends, while its end event is still in the stream, only not
// read yet (this instance's event reader reconnecting, or lagging behind the re-check). The re-check must leave the
// job to its end event, which holds the whole end and comes after the job's earlier events, rather than end it from
// the end its worker kept (cut past 2,048 bytes). (From review10's keptEndRace repro.)
jest.setTimeout(60_000);

/** Looks of the re-check at the vanished job, its end still unread, before the event readers may come back. */
const LOOKS = 3;

const redis = useOwnRedis();

let queues = 0;

/** A worker instance and a web-only instance keeping no history, on a queue of their own, paused (see pausedPair.ts). */
async function pausedPair(): Promise<{ web: BackgroundJobsManager; queueName: string }> {
  queues += 1;
  const queueName = `late-${queues}`;
  return { web: await pausedPairOn(redis.url, queueName), queueName };
}

/**
 * Runs `job` (executed on the paused queue) while no event reader can read the stream: XREAD is denied to every
 * connection and a reader already blocked in it is killed, until the job ended here or the re-check looked at it
 * `LOOKS` times after its record went; then the readers may read again. The stream is
 * left whole.
 */
async function endedWhileUnread(queueName: string, job: BackgroundJob): Promise<void> {
  const meta = redis.admin;
  // A look that finds a job's record gone and its end claimed reads where the stream starts (XINFO STREAM).
  const looked = async () =>
    Number(/cmdstat_xinfo\|stream:calls=(\d+)/.exec(await meta.info('commandstats'))?.[1] ?? 0);
  const before = await looked();
  await meta.call('ACL', 'SETUSER', 'default', '-xread');
  const readers = async () =>
    ((await meta.client('LIST')) as string).split('\n').filter((line) => / cmd=xread/.test(line));
  await eventually(async () => {
    for (const line of await readers()) await meta.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
    expect(await readers()).toEqual([]);
  });
  const probe = new Queue(queueName, { connection: { url: redis.url } });
  await probe.resume();
  try {
    await eventually(
      async () => expect(job.state !== 'Active' || (await looked()) - before >= LOOKS).toBe(true),
      15_000,
    );
  } finally {
    await meta.call('ACL', 'SETUSER', 'default', '+xread');
  }
  // The stream still holds the job's events: none was trimmed.
  expect(await meta.xlen(`bull:${queueName}:events`)).toBeGreaterThan(0);
  await probe.close();
}

test('a job whose record is removed at its end keeps its large result when its end event is only late, not trimmed', async () => {
  const { web, queueName } = await pausedPair();
  const large = 'x'.repeat(3000);
  const job = await web.execute('Reports.Echo', [large]);
  await endedWhileUnread(queueName, job);
  await eventually(() => expect(job.state).toBe('Completed'), 15_000);
  expect(job.result).toEqual([large]);
});

test('a job whose record is removed at its end keeps its large error when its end event is only late, not trimmed', async () => {
  const { web, queueName } = await pausedPair();
  const large = 'y'.repeat(3000);
  const job = await web.execute('Jobs.Fail', [large]);
  await endedWhileUnread(queueName, job);
  await eventually(() => expect(job.state).toBe('Failed'), 15_000);
  expect(job.errorInfo?.description).toBe(large);
});

test('a job whose record is removed at its end tells its started and progress before its completed event when its events are only late', async () => {
  const { web, queueName } = await pausedPair();
  const told: string[] = [];
  for (const event of ['started', 'progress', 'completed'] as const)
    web.on(event, () => void told.push(event));
  const job = await web.execute('Events.Report', ['small']);
  await endedWhileUnread(queueName, job);
  await eventually(() => expect(told).toContain('completed'), 15_000);
  await eventually(() => expect(told).toEqual(['started', 'progress', 'completed']));
});
