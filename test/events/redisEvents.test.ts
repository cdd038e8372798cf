import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BackgroundJobsEventName, BackgroundJobsManager, JobEventBase } from 'web-background-jobs';
import { createManager, eventually, tempDir, useRedisStore, writeConfig } from '../helpers';

// On a Redis store an instance hears the events of the jobs it executed and of the jobs its worker runs; with
// events: 'all' (web.config jobsEvents), every instance's jobs, told from the event stream it already reads.
jest.setTimeout(30_000);

const JOB_EVENTS = ['queued', 'started', 'progress', 'message', 'completed', 'failed', 'canceled'] as const;

interface Heard {
  readonly event: BackgroundJobsEventName;
  readonly payload: JobEventBase;
}

function hear(manager: BackgroundJobsManager): Heard[] {
  const heard: Heard[] = [];
  for (const event of JOB_EVENTS) manager.on(event, (payload) => heard.push({ event, payload }));
  return heard;
}

function namesOf(heard: readonly Heard[], uuid: string): BackgroundJobsEventName[] {
  return heard.filter(({ payload }) => payload.uuid === uuid).map(({ event }) => event);
}

let queues = 0;
/** Managers sharing one queue: instances of one application on the same Redis. */
function instances(): (options: Parameters<typeof createManager>[0]) => BackgroundJobsManager {
  queues += 1;
  const queueName = `events-${process.pid}-${queues}`;
  return (options) => createManager({ isolation: 'inline', queueName, ...options });
}

/**
 * Waits until `manager` has heard the end of a job it executed itself: every event written to the stream before it
 * has been read by then, so what it has not heard of earlier jobs, it never will.
 */
async function caughtUp(manager: BackgroundJobsManager, heard: readonly Heard[]): Promise<void> {
  const marker = await manager.execute('Reports.Build', [0, 'marker']);
  await eventually(() => expect(namesOf(heard, marker.uuid)).toContain('completed'), 10_000);
}

describe('job events on a Redis store', () => {
  useRedisStore();

  test('the instance that executed a job and the one whose worker ran it hear it; another instance does not', async () => {
    const instance = instances();
    const web = instance({ worker: false });
    const runner = instance({ worker: true });
    const bystander = instance({ worker: false });
    const [heardByWeb, heardByRunner, heardByBystander] = [hear(web), hear(runner), hear(bystander)];
    await Promise.all([runner.getBackgroundJobs(), bystander.getBackgroundJobs()]); // each reads the event stream
    const job = await web.execute('Events.Report', ['done'], 'K', 'Remote');
    await job.waitForCompletion();
    await eventually(() => {
      expect(namesOf(heardByWeb, job.uuid)).toEqual([
        'queued',
        'started',
        'progress',
        'message',
        'completed',
      ]);
      // It did not execute the job: it hears it from the moment it takes it.
      expect(namesOf(heardByRunner, job.uuid)).toEqual(['started', 'progress', 'message', 'completed']);
    }, 10_000);
    for (const { payload } of [...heardByWeb, ...heardByRunner].filter(
      (each) => each.payload.uuid === job.uuid,
    )) {
      expect(payload).toMatchObject({ uuid: job.uuid, methodName: 'Events.Report', key: 'K', local: true });
      expect(payload.job?.uuid).toBe(job.uuid);
    }
    expect(heardByWeb.find(({ event }) => event === 'completed')!.payload.job).toBe(job);
    await caughtUp(bystander, heardByBystander);
    expect(namesOf(heardByBystander, job.uuid)).toEqual([]);
  });

  test('the instance whose worker ran a job hands its job object with every event of it, its end included, however fast they come', async () => {
    const instance = instances();
    const web = instance({ worker: false });
    const runner = instance({ worker: true });
    const heardByRunner = hear(runner);
    await runner.getBackgroundJobs(); // reads the event stream
    const jobs = await Promise.all([1, 2, 3].map(() => web.execute('Events.Chatter', [50])));
    await Promise.all(jobs.map((job) => job.waitForCompletion()));
    for (const job of jobs) {
      await eventually(() => expect(namesOf(heardByRunner, job.uuid)).toContain('completed'), 10_000);
      const told = heardByRunner.filter(({ payload }) => payload.uuid === job.uuid);
      expect(told.map(({ event }) => event)).toEqual(['started', ...Array(50).fill('message'), 'completed']);
      for (const { payload } of told) expect(payload.job?.uuid).toBe(job.uuid);
    }
  });

  test("the worker's job object of a job is let go once the job ended, when nobody listens to its end", async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const instance = instances();
    const web = instance({ worker: false });
    const runner = instance({ worker: true });
    const ranThere: WeakRef<object>[] = [];
    runner.on('started', ({ job }) => void (job && ranThere.push(new WeakRef(job))));
    await runner.getBackgroundJobs(); // reads the event stream
    const jobs = await Promise.all(Array.from({ length: 5 }, () => web.execute('Events.Report', ['done'])));
    await web.waitForCompletion(jobs);
    await eventually(() => expect(ranThere).toHaveLength(5));
    await eventually(() => {
      collectGarbage();
      expect(ranThere.filter((job) => job.deref() !== undefined)).toEqual([]);
    }, 10_000);
  });

  test("the worker's job object of a job cancelled while queued, which the worker then takes to yield, is let go", async () => {
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const heapAfterCollecting = () => {
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    const instance = instances();
    const one = instance({ worker: true, maxConcurrency: 1 }); // executes and runs: it follows its jobs from their start
    one.on('started', () => {});
    await one.getBackgroundJobs();
    const blocker = await one.execute('Jobs.Sleep', [60_000]);
    await eventually(() => expect(blocker.begin).toBeDefined()); // the others wait behind it
    const paramBytes = 200_000;
    const before = heapAfterCollecting();
    const queued = [];
    for (let index = 0; index < 30; index += 1)
      queued.push(await one.execute('Jobs.Sleep', [1, `${index}:`.padEnd(paramBytes, 'x')]));
    for (const job of queued) await job.cancel();
    await blocker.cancel();
    // Each is taken by the worker, which yields at once; one at a time, in order: a job after them runs once they did.
    await (await one.execute('Jobs.Sleep', [1])).waitForCompletion();
    // The worker's job object of each, with its params, must not stay.
    await eventually(
      () => expect(heapAfterCollecting() - before).toBeLessThan((queued.length * paramBytes) / 2),
      10_000,
    );
  });

  test.each([
    ['completed', 'Jobs.Sleep', [500]],
    ['failed', 'Jobs.FailLater', [500, 'late']],
  ] as const)(
    'with jobsHistorySize 0, %s alone listened to tells how long the job ran, where it was executed and where it ran',
    async (event, methodName, params) => {
      const instance = instances();
      const web = instance({ worker: false, historySize: 0 });
      const runner = instance({ worker: true, historySize: 0 });
      const runSeconds: number[] = [];
      for (const manager of [web, runner])
        manager.on(event, (payload) => void runSeconds.push(payload.runSeconds));
      await Promise.all([web.getBackgroundJobs(), runner.getBackgroundJobs()]);
      const job = await web.execute(methodName, [...params]);
      await web.waitForExecutionCompletion([job]);
      await eventually(() => expect(runSeconds).toHaveLength(2));
      // It ran 500 ms at least; its record is gone with its end, whose facts say when it began.
      for (const seconds of runSeconds) expect(seconds >= 0.5 && seconds < 30).toBe(true);
      expect(job.end!.getTime() - job.begin!.getTime()).toBeGreaterThanOrEqual(500);
    },
  );

  test("with events: 'all' an instance hears every instance's jobs, marked not local, cancels and failures included", async () => {
    const instance = instances();
    const web = instance({ worker: false });
    instance({ worker: true });
    const watcher = instance({ worker: false, events: 'all' });
    const heard = hear(watcher);
    await watcher.getBackgroundJobs(); // resolves once it reads the event stream: it hears whatever comes next
    const done = await web.execute('Events.Report', ['done']);
    const failed = await web.execute('Jobs.Fail', ['broken']);
    const canceled = await web.execute('Events.UntilCanceled');
    await Promise.all([done.waitForCompletion(), failed.waitForExecutionCompletion()]);
    await eventually(() => expect(namesOf(heard, canceled.uuid)).toContain('progress'), 10_000);
    await canceled.cancel();
    await eventually(() => {
      expect(namesOf(heard, done.uuid)).toEqual(['queued', 'started', 'progress', 'message', 'completed']);
      expect(namesOf(heard, failed.uuid)).toEqual(['queued', 'started', 'failed']);
      expect(namesOf(heard, canceled.uuid)).toEqual(['queued', 'started', 'progress', 'canceled']);
    }, 10_000);
    for (const { payload } of heard) {
      expect(payload).toMatchObject({ local: false });
      expect(payload.job).toBeUndefined();
    }
    const failure = heard.find(({ event }) => event === 'failed')!.payload as unknown as {
      errorInfo: { description: string };
    };
    expect(failure.errorInfo.description).toBe('broken');
    const message = heard.find(({ event }) => event === 'message')!.payload as unknown as {
      message: { text: string };
    };
    expect(message.message.text).toBe('a message');
  });

  test('web.config jobsEvents sets whose events an instance hears, and a value other than own or all is refused', () => {
    const config = writeConfig(
      '    <add key="WebBackgroundJobs" value="attachAssembly" />\n    <add key="jobsEvents" value="all" />',
      tempDir(),
    );
    expect(createManager({ config }).settings.events).toBe('all');
    expect(createManager().settings.events).toBe('own');
    expect(() => createManager({ events: 'every' as 'all' })).toThrow(
      expect.objectContaining({
        code: 'WBJ_CONFIG',
        message: 'The events option must be "own" or "all", got "every"',
      }),
    );
  });
});
