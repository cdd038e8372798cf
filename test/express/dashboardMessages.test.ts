import request from 'supertest';
import { backgroundJobsDashboard, BackgroundJobState } from 'web-background-jobs';
import { appWithJobs, describeEachIsolation } from '../helpers';

// The details route answers a page of a job's messages, counted back from the newest, with their total.

/** The text Logs.Many gives message number `n`. */
const numbered = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, index) => String(from + index));

describeEachIsolation('the job details page their messages', (isolation) => {
  async function jobWithMessages(count: number) {
    const { app, manager } = appWithJobs({ isolation });
    app.use('/jobs', backgroundJobsDashboard());
    const job = await manager.execute('Logs.Many', [count]);
    await job.waitForCompletion();
    expect(job.state).toBe(BackgroundJobState.Completed);
    const details = async (query = '') =>
      (await request(app).get(`/jobs/api/jobs/${job.uuid}${query}`).expect(200)).body;
    return { app, job, details };
  }

  test('GET /api/jobs/:uuid answers the newest 100 messages, oldest first, with messagesTotal', async () => {
    const { details } = await jobWithMessages(250);
    const body = await details();
    expect(body).toMatchObject({ messagesTotal: 250, messagesOffset: 0, messagesLimit: 100, result: 250 });
    expect(body.messages.map((message: { text: string }) => message.text)).toEqual(numbered(150, 250));
  });

  test.each([
    ['?messagesOffset=100', 50, 150],
    ['?messagesOffset=200', 0, 50],
    ['?messagesOffset=240&messagesLimit=5', 5, 10],
    ['?messagesLimit=1', 249, 250],
    ['?messagesOffset=249&messagesLimit=1000', 0, 1],
    ['?messagesOffset=250', 0, 0],
    ['?messagesOffset=9000', 0, 0],
  ])('GET /api/jobs/:uuid%s answers messages %i to %i of 250', async (query, from, to) => {
    const { details } = await jobWithMessages(250);
    const body = await details(query);
    expect(body.messagesTotal).toBe(250);
    expect(body.messages.map((message: { text: string }) => message.text)).toEqual(numbered(from, to));
  });

  test('a job without messages answers an empty page and a total of 0', async () => {
    const { details } = await jobWithMessages(0);
    expect(await details()).toMatchObject({ messages: [], messagesTotal: 0 });
  });

  test.each([
    ['messagesLimit=0', /messagesLimit must be an integer from 1 to 1000, got "0"/],
    ['messagesLimit=1001', /messagesLimit must be an integer from 1 to 1000, got "1001"/],
    ['messagesOffset=-1', /messagesOffset must be an integer from 0 to \d+, got "-1"/],
    ['messagesOffset=ten', /messagesOffset must be an integer/],
    ['messagesOffset=1&messagesOffset=2', /"messagesOffset" must be given once/],
    ['offset=1', /Unknown query parameter "offset"; expected messagesOffset, messagesLimit/],
  ])('GET /api/jobs/:uuid?%s is refused with 400 and a message naming the value', async (query, message) => {
    const { app, job } = await jobWithMessages(1);
    const { body } = await request(app).get(`/jobs/api/jobs/${job.uuid}?${query}`).expect(400);
    expect(body).toMatchObject({ code: 'WBJ_BAD_ARGUMENT', error: expect.stringMatching(message) });
  });

  test('GET /api/jobs lists summaries: no messages, result or params in a row', async () => {
    const { app } = await jobWithMessages(3);
    const { body } = await request(app).get('/jobs/api/jobs').expect(200);
    expect(Object.keys(body.jobs[0]).sort()).toEqual(
      [
        'begin',
        'description',
        'durationMs',
        'end',
        'error',
        'key',
        'methodName',
        'owner',
        'progress',
        'scheduledJob',
        'state',
        'userName',
        'uuid',
      ].sort(),
    );
  });
});
