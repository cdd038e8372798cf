import {
  BackgroundJobState,
  type BackgroundJobsEventName,
  type BackgroundJobsEvents,
  type BackgroundJobsManager,
} from 'web-background-jobs';
import { createManager, describeEachIsolation, eventually, recordingLogger } from '../helpers';

// manager.on(): every event of a job's life, heard from where it happens (the store, the executor), in memory inline
// and thread and on a Redis store; what a listener does never reaches the job.
jest.setTimeout(30_000);

const JOB_EVENTS = ['queued', 'started', 'progress', 'message', 'completed', 'failed', 'canceled'] as const;

type Heard = {
  [E in BackgroundJobsEventName]: { event: E; payload: BackgroundJobsEvents[E] };
}[BackgroundJobsEventName];

/** Every job event `manager` emits, in the order heard. */
function hear(manager: BackgroundJobsManager): Heard[] {
  const heard: Heard[] = [];
  for (const event of JOB_EVENTS) manager.on(event, (payload) => heard.push({ event, payload } as Heard));
  return heard;
}

/** The events heard of one job, by name, in order. */
function namesOf(heard: readonly Heard[], uuid: string): BackgroundJobsEventName[] {
  return heard.filter(({ payload }) => 'uuid' in payload && payload.uuid === uuid).map(({ event }) => event);
}

function payloadOf<E extends BackgroundJobsEventName>(
  heard: readonly Heard[],
  event: E,
): BackgroundJobsEvents[E] {
  const found = heard.find((entry) => entry.event === event);
  if (found === undefined) throw new Error(`no '${event}' event was heard`);
  return found.payload as BackgroundJobsEvents[E];
}

describeEachIsolation('job events', (isolation) => {
  test('a job that completes is heard queued, started, its progress, its message and completed, in that order', async () => {
    const manager = createManager({ isolation });
    const heard = hear(manager);
    const job = await manager.execute('Events.Report', ['done'], 'K1', 'Reporting');
    await job.waitForCompletion();
    await eventually(() =>
      expect(namesOf(heard, job.uuid)).toEqual(['queued', 'started', 'progress', 'message', 'completed']),
    );
    for (const { payload } of heard) {
      expect(payload).toMatchObject({
        uuid: job.uuid,
        methodName: 'Events.Report',
        key: 'K1',
        description: 'Reporting',
        local: true,
      });
      expect(payload.at).toBeInstanceOf(Date);
      expect((payload as { job?: unknown }).job).toBeDefined();
    }
    const started = payloadOf(heard, 'started');
    expect(started.begin.getTime()).toBe(job.begin!.getTime());
    expect(started.queuedSeconds).toBeGreaterThanOrEqual(0);
    expect(started.attempt).toBe(1);
    expect(payloadOf(heard, 'progress').progress).toMatchObject({ percent: 50, text: 'half way' });
    expect(payloadOf(heard, 'message').message.text).toBe('a message');
    const completed = payloadOf(heard, 'completed');
    expect(completed.runSeconds).toBeCloseTo((job.end!.getTime() - job.begin!.getTime()) / 1000, 1);
    expect(completed.job?.result ?? job.result).toBe('done');
  });

  test('a job that fails is heard failed with its errorInfo, attempt 1 and no retry to come', async () => {
    const manager = createManager({ isolation });
    const heard = hear(manager);
    const job = await manager.execute('Jobs.Fail', ['broken']);
    await job.waitForExecutionCompletion();
    await eventually(() => expect(namesOf(heard, job.uuid)).toEqual(['queued', 'started', 'failed']));
    const failed = payloadOf(heard, 'failed');
    expect(failed.errorInfo.description).toBe('broken');
    expect(failed).toMatchObject({ attempt: 1, willRetry: false });
    expect(failed.runSeconds).toBeGreaterThanOrEqual(0);
  });

  test('a job that fails each of its 2 attempts is heard failing the first with a retry to come, then the last without', async () => {
    const manager = createManager({ isolation });
    const heard = hear(manager);
    const job = await manager.execute('Jobs.Fail', ['broken'], '', '', { attempts: 2 });
    await job.waitForExecutionCompletion();
    await eventually(() =>
      expect(namesOf(heard, job.uuid)).toEqual(['queued', 'started', 'failed', 'started', 'failed']),
    );
    const of = (event: BackgroundJobsEventName) =>
      heard.filter((each) => each.event === event).map(({ payload }) => payload);
    expect(of('started').map((payload) => (payload as { attempt: number }).attempt)).toEqual([1, 2]);
    expect(of('failed')).toEqual([
      expect.objectContaining({
        attempt: 1,
        willRetry: true,
        errorInfo: expect.objectContaining({ description: 'broken' }),
      }),
      expect.objectContaining({
        attempt: 2,
        willRetry: false,
        errorInfo: expect.objectContaining({ description: 'broken' }),
      }),
    ]);
  });

  test('a running job cancelled is heard canceled with its run time; a queued one with none and never started', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const heard = hear(manager);
    const running = await manager.execute('Events.UntilCanceled');
    const queued = await manager.execute('Reports.Build', [1, 'never']);
    await eventually(() => expect(namesOf(heard, running.uuid)).toContain('progress'));
    await queued.cancel();
    await running.cancel();
    await eventually(() => {
      expect(namesOf(heard, running.uuid)).toEqual(['queued', 'started', 'progress', 'canceled']);
      expect(namesOf(heard, queued.uuid)).toEqual(['queued', 'canceled']);
    });
    const canceled = heard.filter(({ event }) => event === 'canceled');
    const runSecondsOf = (uuid: string) =>
      (
        canceled.find(({ payload }) => 'uuid' in payload && payload.uuid === uuid)!.payload as {
          runSeconds?: number;
        }
      ).runSeconds;
    expect(runSecondsOf(running.uuid)).toBeGreaterThanOrEqual(0);
    expect(runSecondsOf(queued.uuid)).toBeUndefined();
  });

  test('a listener that throws or rejects is logged, the other listeners still hear, and the job ends as it would have', async () => {
    const logger = recordingLogger();
    const manager = createManager({ isolation, logger });
    for (const event of JOB_EVENTS) {
      manager.on(event, () => {
        throw new Error(`thrown on ${event}`);
      });
      manager.on(event, () => Promise.reject(new Error(`rejected on ${event}`)));
    }
    const heard = hear(manager);
    const job = await manager.execute('Events.Report', ['still done']);
    await job.waitForCompletion();
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toBe('still done');
    expect(job.getUserMessages().map(({ text }) => text)).toEqual(['a message']);
    await eventually(() => {
      expect(namesOf(heard, job.uuid)).toEqual(['queued', 'started', 'progress', 'message', 'completed']);
      for (const event of ['queued', 'started', 'progress', 'message', 'completed']) {
        expect(logger.lines.error).toContainEqual(
          expect.stringContaining(`A listener of the '${event}' event of background job ${job.uuid} threw`),
        );
      }
      expect(logger.lines.error.length).toBe(10);
    });
  });

  test('off() stops a listener and once() hears one event only', async () => {
    const manager = createManager({ isolation });
    const heard = hear(manager);
    const removed: string[] = [];
    const onceHeard: string[] = [];
    const listener = ({ uuid }: { uuid: string }) => removed.push(uuid);
    manager.on('completed', listener).off('completed', listener);
    manager.once('completed', ({ uuid }) => onceHeard.push(uuid));
    const first = await manager.execute('Reports.Build', [1, 'a']);
    await first.waitForCompletion();
    const second = await manager.execute('Reports.Build', [2, 'b']);
    await second.waitForCompletion();
    await eventually(() => expect(namesOf(heard, second.uuid)).toContain('completed'));
    expect(removed).toEqual([]);
    expect(onceHeard).toEqual([first.uuid]);
  });
});

/** The fields every job event holds ({@link JobEventBase}), then each event's own. */
const BASE_FIELDS = ['uuid', 'methodName', 'key', 'description', 'owner', 'at', 'local', 'job'];
const OWN_FIELDS: Record<string, string[]> = {
  queued: [],
  started: ['begin', 'queuedSeconds', 'attempt'],
  progress: ['progress'],
  message: ['message'],
  completed: ['runSeconds'],
  failed: ['runSeconds', 'errorInfo', 'attempt', 'willRetry'],
};

/** The payloads of `uuid`'s events, each with its event's name. */
const payloadsOf = (heard: readonly Heard[], uuid: string) =>
  heard.filter(({ payload }) => 'uuid' in payload && payload.uuid === uuid);

describe.each(['inline', 'thread'] as const)('job events of a memory store [%s]', (isolation) => {
  test("started's queuedSeconds counts from the queued event's time: a queued listener's own time is time queued", async () => {
    const manager = createManager({ isolation });
    const heard = hear(manager);
    manager.on('queued', () => {
      const until = Date.now() + 30;
      while (Date.now() < until); // a listener that takes 30 ms of the job's time in the queue
    });
    const job = await manager.execute('Reports.Build', [1, 'a']);
    await job.waitForCompletion();
    await eventually(() => expect(namesOf(heard, job.uuid)).toContain('completed'));
    const queued = payloadOf(heard, 'queued');
    const started = payloadOf(heard, 'started');
    expect(started.queuedSeconds).toBeGreaterThanOrEqual(0.03);
    expect(started.queuedSeconds).toBe((started.begin.getTime() - queued.at.getTime()) / 1000);
  });

  test('a started listener added while a job waits for a slot is told the time the job waited, not a time since the epoch', async () => {
    const manager = createManager({ isolation, maxConcurrency: 1 });
    const first = await manager.execute('Jobs.Sleep', [300]);
    const registering = Date.now();
    const second = await manager.execute('Jobs.Sleep', [1]);
    const registered = Date.now();
    const told: number[] = [];
    manager.on('started', ({ uuid, queuedSeconds }) => {
      if (uuid === second.uuid) told.push(queuedSeconds);
    });
    await manager.waitForExecutionCompletion([first, second]);
    expect(told).toHaveLength(1);
    const begin = second.begin!.getTime();
    expect(told[0]).toBeGreaterThanOrEqual((begin - registered) / 1000);
    expect(told[0]).toBeLessThanOrEqual((begin - registering) / 1000);
  });

  test('each payload holds the fields its event documents and no other, its times those of the job', async () => {
    const manager = createManager({ isolation });
    const heard = hear(manager);
    const reported = await manager.execute('Events.Report', ['done'], 'K2', 'Reporting');
    const delayed = await manager.execute('Reports.Build', [1, 'a'], '', '', { delaySeconds: 1 });
    const failing = await manager.execute('Jobs.Fail', ['broken'], '', '', { attempts: 2 });
    await manager.waitForExecutionCompletion([reported, delayed, failing]);
    await eventually(() => {
      expect(namesOf(heard, reported.uuid)).toContain('completed');
      expect(namesOf(heard, delayed.uuid)).toContain('completed');
      expect(namesOf(heard, failing.uuid)).toEqual(['queued', 'started', 'failed', 'started', 'failed']);
    });
    for (const { event, payload } of heard) {
      const own = event === 'queued' && payload.uuid === delayed.uuid ? ['delaySeconds'] : OWN_FIELDS[event]!;
      expect(Object.keys(payload).sort()).toEqual([...BASE_FIELDS, ...own].sort());
    }
    const [queued, started, , , completed] = payloadsOf(heard, reported.uuid).map(({ payload }) => payload);
    expect(queued!.at.getTime()).toBeLessThanOrEqual(reported.begin!.getTime());
    expect(started).toMatchObject({ at: reported.begin, begin: reported.begin, attempt: 1 });
    expect((started as BackgroundJobsEvents['started']).begin).toBe(started!.at); // one Date for both
    expect(completed).toMatchObject({
      at: reported.end,
      runSeconds: (reported.end!.getTime() - reported.begin!.getTime()) / 1000,
    });
    const delayedQueued = payloadsOf(heard, delayed.uuid)[0]!.payload as BackgroundJobsEvents['queued'];
    // What is left of its delay when the store registers it (execute's checks run first).
    expect(delayedQueued.delaySeconds).toBeGreaterThan(0);
    expect(delayedQueued.delaySeconds).toBeLessThanOrEqual(1);
    const [firstFailed, lastFailed] = payloadsOf(heard, failing.uuid)
      .filter(({ event }) => event === 'failed')
      .map(({ payload }) => payload as BackgroundJobsEvents['failed']);
    expect(firstFailed).toMatchObject({ attempt: 1, willRetry: true, errorInfo: failing.attemptErrors[0] });
    expect(lastFailed).toMatchObject({
      at: failing.end,
      attempt: 2,
      willRetry: false,
      errorInfo: failing.errorInfo,
    });
  });
});

describe('manager.on() refusals', () => {
  test('an unknown event is refused with WBJ_BAD_ARGUMENT naming it, the events there are and the one meant', () => {
    const manager = createManager();
    expect(() => manager.on('complete' as 'completed', () => {})).toThrow(
      expect.objectContaining({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringMatching(
          /manager\.on\(event\) takes one of queued, .*scheduled-skip; got "complete" \(did you mean completed\?\)/,
        ),
      }),
    );
  });

  test('a listener that is no function is refused with WBJ_BAD_ARGUMENT naming it', () => {
    const manager = createManager();
    expect(() => manager.once('failed', 'log' as unknown as () => void)).toThrow(
      expect.objectContaining({
        code: 'WBJ_BAD_ARGUMENT',
        message: 'manager.once(\'failed\', listener) takes a function as the listener; got "log"',
      }),
    );
  });
});
