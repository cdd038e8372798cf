// The channel between a thread job's worker and the main thread: a handler posting on its worker's parentPort
// (user code runs there) can neither crash the main thread, nor call what ФоновыеЗадания does not offer, nor act as
// another job; views keep answering after their job left history, and a poll sends only the messages not yet sent.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MessagePort } from 'node:worker_threads';
import { BackgroundJobState } from 'web-background-jobs';
import { createManager, eventually, recordingLogger, tempDir } from '../helpers';

const threads = (logger = recordingLogger()) => createManager({ isolation: 'thread', maxThreads: 2, logger });

describe('what a handler posts on parentPort itself', () => {
  test('forged calls, rejections and messages neither crash the main thread nor reach the manager', async () => {
    const logger = recordingLogger();
    const manager = threads(logger);
    const job = await manager.execute('Forger.Garbage');
    await job.waitForExecutionCompletion(30);
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toBe('done');
    // The forged message did not slip in; the real one, through message(), did.
    expect(job.getUserMessages().map((message) => message.text)).toEqual(['real']);
    // The forged late rejection (errorInfo null) was not logged as one, nor did it throw.
    expect(logger.lines.error.join('\n')).not.toContain('Forger.Garbage');
  });

  test.each(['close', 'clear'])(
    "a forged call of the manager's %s() is refused: only the members of ФоновыеЗадания are served",
    async (member) => {
      const manager = threads();
      const earlier = await manager.execute('Jobs.Sleep', [1]);
      await earlier.waitForExecutionCompletion(30);
      const job = await manager.execute('Forger.CallMember', [member]);
      await job.waitForExecutionCompletion(30);
      expect(job.state).toBe(BackgroundJobState.Completed);
      // The manager was neither closed nor cleared: it holds its history and still runs jobs.
      expect(await manager.findByUUID(earlier.uuid)).toBe(earlier);
      const next = await manager.execute('Jobs.Sleep', [1]);
      await next.waitForExecutionCompletion(30);
      expect(next.result).toBe(1);
    },
  );

  test("a port a handler sends as its worker's is ignored: its notes and calls under the job's UUID are not believed", async () => {
    const manager = threads();
    const file = path.join(tempDir(), 'touched');
    const job = await manager.execute('Forger.ForgedPort', [file]);
    await job.waitForExecutionCompletion(30);
    expect(job.state).toBe(BackgroundJobState.Completed);
    expect(job.result).toBe('done');
    expect(job.getUserMessages().map((message) => message.text)).toEqual(['real']);
    // The forged execute started no job.
    expect((await manager.getBackgroundJobs()).map((each) => each.methodName)).toEqual(['Forger.ForgedPort']);
    expect(existsSync(file)).toBe(false);
  });

  test("a job posting a call under another job's UUID does not take that job's answers", async () => {
    const manager = threads();
    const victim = await manager.execute('Forger.Victim');
    await eventually(() => expect(victim.progress?.text).toBe('ready'), 30_000);
    const hijacker = await manager.execute('Forger.Hijack', [victim.uuid], 'hijacker');
    await hijacker.waitForExecutionCompletion(30);
    await victim.waitForExecutionCompletion(30);
    expect(victim.result).toBe('answered');
  });
});

describe("a view of a job that left the manager's history", () => {
  test('its wait resolves, its cancel() does nothing, and it shows the state the main thread last held', async () => {
    const manager = threads();
    const parent = await manager.execute('Forger.OutlivedChild', [300]);
    await eventually(() => expect(parent.progress?.text).toMatch(/^ready /), 30_000);
    const childUuid = parent.progress!.text.slice('ready '.length);
    const child = (await manager.findByUUID(childUuid))!;
    await child.waitForExecutionCompletion(30);
    await manager.clear();
    expect(await manager.findByUUID(childUuid)).toBeUndefined();
    await parent.waitForExecutionCompletion(30);
    expect(parent.errorInfo).toBeUndefined();
    expect(parent.result).toEqual([BackgroundJobState.Active, BackgroundJobState.Completed]);
  });
});

describe('answers to a view in a worker', () => {
  afterEach(() => jest.restoreAllMocks());

  test('carry only the messages the view has not had: each message crosses once, however often it polls', async () => {
    // Node's own postMessage, counted (the answers are posted on the main thread, this process).
    let crossed = 0;
    const original = MessagePort.prototype.postMessage;
    jest.spyOn(MessagePort.prototype, 'postMessage').mockImplementation(function (
      this: MessagePort,
      ...args: Parameters<MessagePort['postMessage']>
    ) {
      crossed += messagesIn(args[0]);
      return original.apply(this, args) as unknown as void; // BroadcastChannel reads what the native one returns
    });
    const manager = threads();
    const parent = await manager.execute('Forger.PollChatty', [500, 20]);
    await parent.waitForExecutionCompletion(60);
    expect(parent.result).toBe(500);
    expect(crossed).toBe(500);
  });
});

/** How many job messages an answer posted to a worker carries, in the views of its value or error. */
function messagesIn(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + messagesIn(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const view = (value as { webBackgroundJobView?: { snapshot: { messages: unknown[] } } })
    .webBackgroundJobView;
  if (view !== undefined) return view.snapshot.messages.length;
  const answer = value as { id?: unknown; value?: unknown; error?: { jobs?: unknown } };
  return answer.id === undefined ? 0 : messagesIn(answer.value) + messagesIn(answer.error?.jobs);
}
