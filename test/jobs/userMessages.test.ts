import { Queue } from 'bullmq';
import request from 'supertest';
import {
  backgroundJobsDashboard,
  BackgroundJobState,
  message,
  Message,
  UserMessage,
  Сообщить,
  СообщениеПользователю,
} from 'web-background-jobs';
import {
  appWithJobs,
  createManager,
  describeEachIsolation,
  eventually,
  onRedis,
  registry,
  useRedisStore,
} from '../helpers';

// Messages as 1C's СообщениеПользователю: sent from a handler with their fields, read back by 1C names.

/** What UserMessages.Send sends, member by member, as [Текст, Поле, ПутьКДанным, КлючДанных, ИдентификаторНазначения]. */
const SENT = [
  ['Сумма не заполнена', 'Сумма', 'Объект', 42, 'form-1'],
  ['only text', '', '', undefined, ''],
  ['keyed', 'Товары[0].Количество', '', 'doc-7', ''],
];

/** The same messages as JSON sends them: the fields given, in English. */
const SENT_JSON = [
  { text: 'Сумма не заполнена', field: 'Сумма', dataPath: 'Объект', dataKey: 42, targetId: 'form-1' },
  { text: 'only text' },
  { text: 'keyed', field: 'Товары[0].Количество', dataKey: 'doc-7' },
].map((fields) => ({ ...fields, date: expect.any(String) }));

describeEachIsolation('user messages as 1C sends them (СообщениеПользователю)', (isolation) => {
  async function finished(methodName: string) {
    const manager = createManager({ isolation });
    const job = await manager.execute(methodName);
    await job.waitForCompletion().catch(() => undefined);
    return job;
  }

  test('new СообщениеПользователю with Текст, Поле… set and Сообщить() arrives with those fields, read by 1C names', async () => {
    const job = await finished('UserMessages.Send');
    expect(job.state).toBe(BackgroundJobState.Completed);
    const messages = job.ПолучитьСообщенияПользователю();
    expect(
      messages.map((m) => [m.Текст, m.Поле, m.ПутьКДанным, m.КлючДанных, m.ИдентификаторНазначения]),
    ).toEqual(SENT);
    expect(messages.map((m) => [m.Text, m.Field, m.DataPath, m.DataKey, m.TargetID])).toEqual(SENT);
    expect(messages.map((m) => [m.text, m.field, m.dataPath, m.dataKey, m.targetId])).toEqual(SENT);
    expect(messages[0]).toBeInstanceOf(СообщениеПользователю);
    expect(messages[0]!.date).toBeInstanceOf(Date);
  });

  test('JSON of the job shows each message with the fields it was given, in English only', async () => {
    const job = await finished('UserMessages.Send');
    expect(JSON.parse(JSON.stringify(job)).messages).toEqual(SENT_JSON);
  });

  test('the dashboard details show each message with its fields', async () => {
    const { app, manager } = appWithJobs({ isolation });
    app.use('/jobs', backgroundJobsDashboard());
    const job = await manager.execute('UserMessages.Send');
    await job.waitForCompletion();
    const { body } = await request(app).get(`/jobs/api/jobs/${job.uuid}`).expect(200);
    expect(body.messages).toEqual(SENT_JSON);
  });

  test('a message read back is read-only: assigning a field, by any name, throws WBJ_BAD_ARGUMENT', async () => {
    const job = await finished('UserMessages.Send');
    const [received] = job.getUserMessages();
    for (const assign of [
      () => (received!.Текст = 'changed'),
      () => (received!.text = 'changed'),
      () => (received!.Поле = 'changed'),
    ]) {
      expect(assign).toThrow(
        expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringMatching(/read-only/) }),
      );
    }
    expect(received!.Текст).toBe('Сумма не заполнена');
    expect(Object.isFrozen(received)).toBe(true);
  });

  test('a message read back copies as its data: structured clone, a spread and a worker thread keep its fields', async () => {
    const job = await finished('UserMessages.ReturnOwn');
    // Dates compared as text: a clone's Date comes from Node's realm, not the test's, and Redis stores JSON.
    const asData = (copies: unknown): unknown =>
      (copies as { date: Date | string }[]).map((copy) => ({
        ...copy,
        date: new Date(copy.date).toISOString(),
      }));
    const [first, second] = job.getUserMessages().map((received) => received.date.toISOString());
    const expected = [
      { text: 'first', date: first },
      { text: 'second', field: 'Сумма', date: second },
    ];
    expect(asData(structuredClone(job.getUserMessages()))).toEqual(expected);
    expect(asData(job.getUserMessages().map((received) => ({ ...received })))).toEqual(expected);
    // Returned by the handler: copied out of its worker thread; Redis stores JSON data only and says what is not.
    if (onRedis()) expect(job.errorInfo?.description).toMatch(/result\[0\] is a UserMessage/);
    else expect(asData(job.result)).toEqual(expected);
  });

  test('a misspelt member of a new СообщениеПользователю fails the job, naming it with a did-you-mean', async () => {
    const job = await finished('UserMessages.Typo');
    expect(job.errorInfo?.description).toBe(
      'There is no member "Тект" on a user message (СообщениеПользователю), so assigning it would change nothing; did you mean Текст?',
    );
  });

  test('message() refuses a field it does not know, naming it with a did-you-mean', async () => {
    const job = await finished('UserMessages.UnknownField');
    expect(job.errorInfo?.code).toBe('WBJ_BAD_ARGUMENT');
    expect(job.errorInfo?.description).toMatch(
      /a user message has no field "feild"; .*did you mean field\?$/,
    );
  });
});

describe('a message read back', () => {
  test("is sent on by Сообщить(), its fields kept, as БСП passes a child job's messages to its caller", async () => {
    const manager = (registry.manager = createManager({ isolation: 'inline' }));
    const job = await manager.execute('UserMessages.Forward');
    await job.waitForCompletion();
    expect(JSON.parse(JSON.stringify(job.getUserMessages()))).toEqual(SENT_JSON);
  });
});

describe('message() with fields', () => {
  test('without text is refused, naming what it takes', async () => {
    const manager = createManager();
    const job = await manager.execute('UserMessages.NoText');
    await job.waitForCompletion().catch(() => undefined);
    expect(job.errorInfo?.description).toBe(
      'message() takes text or an object with text (and field, dataPath, dataKey, targetId), got an object (Object)',
    );
  });
});

describe('UserMessage outside a job', () => {
  test('is exported as СообщениеПользователю, and message() as Сообщить and Message', () => {
    expect(typeof UserMessage).toBe('function');
    expect(СообщениеПользователю).toBe(UserMessage);
    expect([Сообщить, Message]).toEqual([message, message]);
  });

  test('takes its fields in the constructor, by English or 1C names, and as members', () => {
    const С = new СообщениеПользователю({ Текст: 'a', field: 'Сумма' });
    С.ПутьКДанным = 'Объект';
    С.КлючДанных = 7;
    С.Текст = 12 as never; // 1C converts a number to text
    expect([С.text, С.field, С.dataPath, С.dataKey, С.targetId]).toEqual(['12', 'Сумма', 'Объект', 7, '']);
  });

  test.each([
    ['Поле', 5, /field takes a string, got 5/],
    ['ИдентификаторНазначения', null, /targetId takes a string, got null/],
    ['КлючДанных', { id: 1 }, /dataKey takes a string or a finite number \(or undefined\), got an object/],
    ['КлючДанных', Number.NaN, /dataKey takes a string or a finite number/],
    ['Текст', undefined, /text takes text \(a string, number or boolean\), got undefined/],
  ])('assigning %s = %p is refused with WBJ_BAD_ARGUMENT naming the value', (name, value, why) => {
    const С = new СообщениеПользователю() as unknown as Record<string, unknown>;
    expect(() => (С[name] = value)).toThrow(
      expect.objectContaining({ code: 'WBJ_BAD_ARGUMENT', message: expect.stringMatching(why) }),
    );
  });

  test('the constructor refuses a field it does not know, with a did-you-mean', () => {
    expect(() => new UserMessage({ Тект: 'x' } as never)).toThrow(
      expect.objectContaining({
        code: 'WBJ_BAD_ARGUMENT',
        message: expect.stringMatching(/no field "Тект".*did you mean Текст\?/),
      }),
    );
  });

  test('Сообщить() outside a job is refused with WBJ_NO_CURRENT_JOB', () => {
    const С = new СообщениеПользователю();
    С.Текст = 'nobody listens';
    expect(() => С.Сообщить()).toThrow(expect.objectContaining({ code: 'WBJ_NO_CURRENT_JOB' }));
  });
});

describe('user messages on Redis', () => {
  useRedisStore();

  test('a message stored before messages had fields still reads, its fields empty', async () => {
    const manager = createManager();
    const job = await manager.execute('Jobs.MessageThenWait', ['new']);
    await eventually(() => expect(job.getUserMessages()).toHaveLength(1));
    const queue = new Queue(manager.settings.queueName, { connection: { url: manager.settings.store } });
    try {
      const stored = await queue.getJob(job.uuid);
      await stored!.log(JSON.stringify({ text: 'old', date: new Date().toISOString() }));
      await eventually(() =>
        expect(job.getUserMessages().map((m) => [m.Текст, m.Поле, m.КлючДанных])).toEqual([
          ['new', '', undefined],
          ['old', '', undefined],
        ]),
      );
    } finally {
      await queue.close();
      await job.cancel();
    }
  });
});
