import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { eventually, ROOT, tempDir } from '../helpers';
import { type DemoProcess, startDemo } from './demoProcess';

// The README's "Try it" curl lines, run as written (with real curl) against the demo, each checked to do what its
// comment says. A line added to the README without a check here fails the first test.

/** The curl commands of the README's "Try it" section, continuation lines joined. */
function tryItCommands(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## Try it\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const block = /```sh\n(# [\s\S]*?curl[\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('curl '));
}

interface Job {
  uuid: string;
  state: string;
  key: string;
  methodName: string;
  result?: unknown;
  errorInfo?: { description: string };
  scheduledJob?: { name: string };
}

/** What the steps share: the demo, the uuid a `<uuid>` stands for, the Heartbeat's for `<its uuid>`. */
const context = { url: '', uuid: '', heartbeat: '' };

/** One README line: the command it must be, and what its output must show. */
interface Step {
  readonly says: string;
  readonly command: RegExp;
  readonly before?: () => Promise<void>;
  check(output: string): void;
}

const json = (output: string) => JSON.parse(output);

const STEPS: readonly Step[] = [
  {
    says: 'starts Reports.Build with its key and description: Active',
    command: /"method":"Reports\.Build","params":\[5\]/,
    check(output) {
      const job: Job = json(output);
      expect(job).toMatchObject({ state: 'Active', key: 'R1', methodName: 'Reports.Build' });
      context.uuid = job.uuid;
    },
  },
  {
    says: 'shows that job by its uuid',
    command: /^curl -s \S+\/jobs\/<uuid>$/,
    check: (output) => expect(json(output)).toMatchObject({ uuid: context.uuid, key: 'R1' }),
  },
  {
    says: 'waits for it: Completed, with its result',
    command: /\/jobs\/<uuid>\/wait\?timeout=10/,
    check: (output) =>
      expect(json(output)).toMatchObject({ state: 'Completed', result: { months: 5, total: 500 } }),
  },
  {
    says: 'lists jobs by a state in lower case and a key',
    command: /\/jobs\?state=completed&key=R1/,
    check: (output) => expect(json(output)).toEqual([expect.objectContaining({ uuid: context.uuid })]),
  },
  {
    says: 'starts a job of 60 months',
    command: /"params":\[60\]/,
    check(output) {
      const job: Job = json(output);
      expect(job).toMatchObject({ state: 'Active', methodName: 'Reports.Build' });
      context.uuid = job.uuid;
    },
  },
  {
    says: 'cancels it: Canceled',
    command: /\/jobs\/<uuid>\/cancel/,
    check: (output) => expect(json(output)).toMatchObject({ uuid: context.uuid, state: 'Canceled' }),
  },
  {
    says: 'shows a failing job after it has ended: Failed, with its errorInfo',
    command: /"method":"Reports\.Fail"/,
    check: (output) =>
      expect(json(output)).toMatchObject({
        state: 'Failed',
        errorInfo: { description: 'The report source is unavailable' },
      }),
  },
  {
    says: 'starts the CPU-bound job',
    command: /"method":"Reports\.CountPrimes"/,
    check(output) {
      const job: Job = json(output);
      expect(job).toMatchObject({ state: 'Active', key: 'primes' });
      context.uuid = job.uuid;
    },
  },
  {
    says: 'is answered while the CPU-bound job runs, and prints how long the answer took',
    command: /-w .*time_total.*\/jobs\?key=primes/,
    check(output) {
      const [list, took] = output.trim().split('\n');
      expect(json(list)).toEqual([expect.objectContaining({ uuid: context.uuid, state: 'Active' })]);
      expect(took).toMatch(/^answered in \d+\.\d+ s$/);
    },
  },
  {
    says: 'runs the seed example: two ТестовоеФЗ jobs, both Completed',
    command: /\/seed-example$/,
    check: (output) =>
      expect(json(output).map((job: Job) => [job.methodName, job.state])).toEqual([
        ['Тестовый.ТестовоеФЗ', 'Completed'],
        ['Тестовый.ТестовоеФЗ', 'Completed'],
      ]),
  },
  {
    says: 'shows the Heartbeat scheduled job, every 30 s, with its next run',
    command: /\/scheduled-jobs$/,
    check(output) {
      const [heartbeat] = json(output);
      expect(heartbeat).toMatchObject({
        name: 'Heartbeat',
        schedule: { repeatPeriodSeconds: 30 },
        nextRun: expect.any(String),
      });
      context.heartbeat = heartbeat.uuid;
    },
  },
  {
    says: 'lists the Heartbeat’s runs',
    command: /\/jobs\?scheduledJob=<its uuid>/,
    // The first run comes at the next half minute.
    before: () =>
      eventually(async () => {
        const runs = await request(context.url).get(`/jobs?scheduledJob=${context.heartbeat}`).expect(200);
        expect(runs.body.length).toBeGreaterThan(0);
      }, 40_000),
    check(output) {
      const runs: Job[] = json(output);
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs) expect(run.scheduledJob).toMatchObject({ name: 'Heartbeat' });
    },
  },
  {
    says: 'switches the Heartbeat off',
    command: /-X PATCH \S+\/scheduled-jobs\/Heartbeat .*"use":false/,
    check: (output) => expect(json(output)).toMatchObject({ name: 'Heartbeat', use: false }),
  },
];

/** Runs a README line in bash against the demo, with its placeholders filled in; resolves to its stdout. */
function run(command: string): Promise<string> {
  const line = command
    .replaceAll('localhost:3000', new URL(context.url).host)
    .replaceAll('<its uuid>', context.heartbeat)
    .replaceAll('<uuid>', context.uuid);
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', line], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${line}\nfailed: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

let demo: DemoProcess;
const commands = tryItCommands();

beforeAll(async () => {
  try {
    execFileSync('curl', ['--version']);
  } catch {
    throw new Error('These tests run the README’s curl lines: install curl (sudo apt-get install -y curl)');
  }
  demo = await startDemo(tempDir());
  context.url = demo.url;
});

afterAll(() => demo.stop());

describe("the README's Try it lines against the demo", () => {
  test('every curl line of the section has its check here, in order', () => {
    expect(commands).toHaveLength(STEPS.length);
    STEPS.forEach((step, index) => expect(commands[index]).toMatch(step.command));
  });

  test.each(STEPS.map((step, index) => [step.says, index] as const))(
    'the line that %s does so',
    async (_says, index) => {
      const step = STEPS[index];
      await step.before?.();
      step.check(await run(commands[index]));
    },
    60_000,
  );
});
