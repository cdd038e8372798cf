import { BackgroundJobState } from 'web-background-jobs';
import { createManager, eventually, useRedisStore } from '../helpers';
import { startClock } from '../schedules/clock';
import { failingOnce, logged } from '../schedules/failing';

// Two instances on one Redis: a failed scheduled run is retried once for both, not once by each.
jest.setTimeout(40_000);

describe('retries of a failed scheduled run on a shared Redis', () => {
  useRedisStore();

  test('with two instances each retry runs exactly once', async () => {
    const queueName = `retries-${process.pid}`;
    const [one, two] = [createManager({ queueName }), createManager({ queueName })];
    const { scheduled, file } = await failingOnce(one, 99, {
      restartCountOnFailure: 2,
      restartIntervalOnFailure: 1,
    });
    const ticks = await startClock(one);
    await eventually(() => expect(logged(file)).toHaveLength(3), 20_000);
    await ticks(3); // longer than the retry interval: no fourth run comes
    expect(logged(file)).toHaveLength(3);
    const runs = await two.getBackgroundJobs({ scheduledJob: scheduled });
    expect(runs.map((run) => [run.uuid, run.state])).toEqual(
      logged(file).map((uuid) => [uuid, BackgroundJobState.Failed]),
    );
  });
});
