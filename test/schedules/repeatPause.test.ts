import { createManager, describeEachIsolation, eventually, recordingLogger } from '../helpers';

// 1C's ПаузаПовтора with real runs, in memory and on Redis: a run due less than repeatPause after the previous run
// ended is skipped (and the skip logged); the runs stay on the schedule's grid.
jest.setTimeout(30_000);

describeEachIsolation('repeatPause', (isolation) => {
  test('no run starts less than repeatPause seconds after the previous one ended', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    const scheduled = manager.scheduledJobs.create({
      name: 'Paused',
      methodName: 'Jobs.Sleep',
      params: [10],
      schedule: { ПериодПовтораВТечениеДня: 1, ПаузаПовтора: 2 },
    });
    await scheduled.write();
    const finished = async () =>
      (await manager.getBackgroundJobs({ scheduledJob: scheduled }))
        .filter((run) => run.end !== undefined)
        .sort((a, b) => a.begin!.getTime() - b.begin!.getTime());
    await eventually(async () => expect((await finished()).length).toBeGreaterThanOrEqual(3), 20_000);
    const runs = await finished();
    for (let index = 1; index < runs.length; index += 1) {
      expect(runs[index].begin!.getTime() - runs[index - 1].end!.getTime()).toBeGreaterThanOrEqual(2000);
    }
    expect(logger.lines.warn).toContainEqual(
      expect.stringMatching(
        /Scheduled job "Paused" skipped its run due at .*less than its repeatPause of 2 s before/,
      ),
    );
  });
});
