import { Redis } from 'ioredis';
import { type BackgroundJobsManager } from 'web-background-jobs';
import { createManager, eventually, useRedisStore } from '../helpers';

// The re-check's cost follows what changed, not how many jobs an instance holds: counted in commands redis-server
// ran (INFO commandstats, which counts those a script runs too), since a count does not depend on the machine's load.

/** Jobs held by the idle instance: a full look at them runs this many HMGETs. */
const HELD = 2000;
const CHECK_MS = 100;

/** How many times redis-server has run each command so far. */
async function commandCounts(probe: Redis): Promise<Map<string, number>> {
  const stats = await probe.info('commandstats');
  return new Map(
    [...stats.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)].map(([, name, calls]) => [name!, Number(calls)]),
  );
}

/** Runs HMGET as the re-check does: a count of them says how many held jobs it looked at. */
async function lookedAt(probe: Redis): Promise<number> {
  return (await commandCounts(probe)).get('hmget') ?? 0;
}

describe('the Redis re-check', () => {
  useRedisStore();
  let web: BackgroundJobsManager;
  let probe: Redis;
  beforeEach(() => {
    web = createManager({ worker: false, checkInterval: CHECK_MS });
    probe = new Redis(web.settings.store);
  });
  afterEach(() => probe.disconnect());

  test(`an idle instance holding ${HELD} active jobs looks at a few of them per jobsCheckInterval, not at every one`, async () => {
    const jobs: unknown[] = [];
    for (let from = 0; from < HELD; from += 200) {
      jobs.push(...(await Promise.all(Array.from({ length: 200 }, () => web.execute('Logs.Ignore', [])))));
    }
    expect(jobs).toHaveLength(HELD);
    // Each job is looked at once, being newly held: then the instance is idle.
    await eventually(async () => expect(await lookedAt(probe)).toBeGreaterThanOrEqual(HELD), 20_000);
    const before = await commandCounts(probe);
    let after = before;
    const ran = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    // Ten looks, each of which used to read every job held: each reads the change log once (XRANGE).
    await eventually(async () => {
      after = await commandCounts(probe);
      expect(ran('xrange')).toBeGreaterThanOrEqual(10);
    }, 20_000);
    expect(ran('hmget')).toBeLessThan(HELD / 4);
    expect(ran('llen') + ran('get')).toBeLessThan(HELD / 2);
  });
});
