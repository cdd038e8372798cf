// The Russian pages (README.ru.md, docs/ru/): their table of 1C names is the alias table, and their examples are
// real programs. Each ```js and ```xml block of a page opens with a comment naming its file (`// app.js`,
// `<!-- web.config -->`); the blocks of one file are joined in page order, as the page tells the reader to add them.
// The test writes those files into an empty project, runs it with Node against the built package, and compares what
// it answers or prints with what the page shows.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { ALIASES } from '../../src/compat/aliases';
import { ROOT, tempDir } from '../helpers';
import { expectGenerated } from './generated';
import { markdownTable } from '../nameTable';

const README_RU = path.join(ROOT, 'README.ru.md');
const GETTING_STARTED = path.join(ROOT, 'docs', 'ru', 'getting-started.md');
const NAMES = path.join(ROOT, 'docs', 'ru', '1c-names.md');

const read = (page: string): string => readFileSync(page, 'utf8');

/** Each group of the alias table under the 1C type it names, in the order a 1C developer looks for them. */
const HEADINGS: Record<keyof typeof ALIASES, string> = {
  exports: 'Экспорт пакета',
  manager: 'МенеджерФоновыхЗаданий (BackgroundJobsManager)',
  job: 'ФоновоеЗадание (BackgroundJob)',
  state: 'СостояниеФоновогоЗадания (BackgroundJobState)',
  errorInfo: 'ИнформацияОбОшибке (ErrorInfo)',
  userMessage: 'СообщениеПользователю (UserMessage)',
  scheduledJobs: 'РегламентныеЗадания (ScheduledJobs)',
  scheduledJob: 'РегламентноеЗадание (ScheduledJob)',
  schedule: 'РасписаниеРегламентногоЗадания (JobSchedule)',
};

/** The Russian page's tables of 1C names: one for each group of the alias table, under its 1C type. */
function russianNameTables(): string {
  return (Object.keys(HEADINGS) as (keyof typeof ALIASES)[])
    .map((group) => {
      const rows = Object.entries(ALIASES[group] as Record<string, readonly string[]>).map(
        ([member, names]) => {
          const russian = names.filter((name) => /[А-Яа-яЁё]/.test(name));
          return [member, russian, names.filter((name) => !russian.includes(name))].map(codes);
        },
      );
      const table = markdownTable(['английское имя', 'имя 1С', 'имя 1С на английском'], rows);
      return `### ${HEADINGS[group]}\n\n${table}`;
    })
    .join('\n\n');
}

function codes(names: string | readonly string[]): string {
  return [names]
    .flat()
    .map((name) => `\`${name}\``)
    .join(', ');
}

/** The files of a page's example, from its ```js and ```xml blocks; a block that names no file is an error. */
function exampleFiles(page: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [block, language, body] of read(page).matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
    if (language !== 'js' && language !== 'xml') continue;
    const name = /^(?:\/\/|<!--) ([^\s:]+\.(?:js|mjs|config))\b/.exec(body)?.[1];
    if (name === undefined) throw new Error(`${page}: this block names no file of the example:\n${block}`);
    files.set(name, (files.get(name) ?? '') + body);
  }
  return files;
}

/**
 * Writes a page's example into an empty project whose node_modules holds this package (the built one: dist/) and
 * Express, as `npm install` would; returns the project's folder.
 */
function exampleProject(page: string): string {
  const folder = tempDir();
  for (const [name, text] of exampleFiles(page)) {
    mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    writeFileSync(path.join(folder, name), text);
  }
  mkdirSync(path.join(folder, 'node_modules'));
  symlinkSync(ROOT, path.join(folder, 'node_modules', 'web-background-jobs'));
  symlinkSync(path.join(ROOT, 'node_modules', 'express'), path.join(folder, 'node_modules', 'express'));
  return folder;
}

/** Generous: Node, Express and a worker thread start in a second alone, in many on a machine shared by many tests. */
const STARTING = 60_000;

const apps: ChildProcess[] = [];
afterAll(() =>
  Promise.all(
    apps
      .filter((app) => app.exitCode === null)
      .map((app) => {
        const exited = new Promise((resolve) => app.once('exit', resolve));
        app.kill();
        return exited;
      }),
  ),
);

/** Runs `node app.js` in the page's example project on a free port; resolves with the URL it prints. */
function startApp(page: string): Promise<string> {
  const app = spawn(process.execPath, ['app.js'], {
    cwd: exampleProject(page),
    env: { ...process.env, PORT: '0' },
  });
  apps.push(app);
  return new Promise((resolve, reject) => {
    let printed = '';
    let errors = '';
    app.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const url = /Слушаю (http:\/\/localhost:\d+)/.exec(printed)?.[1];
      if (url !== undefined) resolve(url);
    });
    app.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    app.once('exit', (code) => reject(new Error(`app.js exited with ${code} before listening:\n${errors}`)));
  });
}

/** Checks that the page shows this answer as it is, JSON for JSON: in code (`{…}`) or as a `# {…}` line under a curl. */
function expectShown(page: string, answer: unknown): void {
  const shown = read(page).match(/(?<=^# |`)[[{][^`\n]*[\]}](?=`|$)/gm);
  expect(shown).toContain(JSON.stringify(answer));
}

describe('README.ru.md', () => {
  test(
    'its example runs: POST /reports runs Отчеты.Сформировать, waits for it and answers what the page shows',
    async () => {
      const url = await startApp(README_RU);
      const answer = await request(url).post('/reports').expect(200);
      expect(answer.body).toEqual({ Состояние: 'Completed', Результат: [100, 200, 300] });
      expectShown(README_RU, answer.body);
    },
    STARTING,
  );
});

describe('docs/ru/getting-started.md: the application its steps build', () => {
  let url: string;
  beforeAll(async () => {
    url = await startApp(GETTING_STARTED);
  }, STARTING);

  /** Starts a report of `months` months; resolves with its uuid. */
  async function startReport(months: number): Promise<string> {
    const started = await request(url).post('/reports').send({ months }).expect(202);
    return started.body.uuid;
  }

  test('a report started by POST /reports completes; the wait answers its state, progress, messages and result as the page shows', async () => {
    const uuid = await startReport(3);
    const waited = await request(url).post(`/jobs/${uuid}/wait?timeout=60`).expect(200);
    expect(waited.body).toEqual({
      Состояние: 'Completed',
      Прогресс: 100,
      Сообщения: ['Месяц 1 готов', 'Месяц 2 готов', 'Месяц 3 готов'],
      Результат: [100, 200, 300],
    });
    expectShown(GETTING_STARTED, waited.body);
    expect((await request(url).get(`/jobs/${uuid}`).expect(200)).body).toEqual(waited.body);
  });

  test('a second report with the key of an active one is answered 409 WBJ_KEY_CONFLICT, in 1C words', async () => {
    await startReport(60); // a minute: still active when the second request comes, however loaded the machine
    const refused = await request(url).post('/reports').send({ months: 60 }).expect(409);
    expect(refused.body.code).toBe('WBJ_KEY_CONFLICT');
    expect(refused.body.error).toMatch(/^Задание с таким значением ключа уже выполняется/);
    expect(read(GETTING_STARTED)).toContain(
      '{"code":"WBJ_KEY_CONFLICT","error":"Задание с таким значением ключа уже выполняется',
    );
  });

  test('a report of 0 months fails; the wait answers Failed with ПодробноеПредставлениеОшибки as the page shows', async () => {
    const uuid = await startReport(0);
    const waited = await request(url).post(`/jobs/${uuid}/wait`).expect(200);
    expect(waited.body).toMatchObject({ Состояние: 'Failed', Сообщения: [] });
    expectShown(GETTING_STARTED, waited.body);
  });

  test('an unknown uuid is answered 404', async () => {
    await request(url).get('/jobs/3f2c1f9e-8a1b-4c2d-9e3f-4a5b6c7d8e9f').expect(404);
  });

  test('the scheduled job of web.config is listed with its schedule in 1C words, and runs now as a background job', async () => {
    const listed = await request(url).get('/scheduled-jobs').expect(200);
    expect(listed.body).toEqual([expect.objectContaining({ Имя: 'ЕжечасныйОтчет', Использование: true })]);
    expect(new Date(listed.body[0].nextRun).getTime()).toBeGreaterThan(Date.now());
    expectShown(GETTING_STARTED, [{ ...listed.body[0], nextRun: '…' }]);

    const started = await request(url)
      .post(`/scheduled-jobs/${encodeURIComponent('ЕжечасныйОтчет')}/run`)
      .expect(202);
    const waited = await request(url).post(`/jobs/${started.body.uuid}/wait?timeout=60`).expect(200);
    expect(waited.body).toMatchObject({ Состояние: 'Completed', Результат: [100] });
  });

  test('the dashboard answers on /dashboard/, in Russian with ?lang=ru', async () => {
    const page = await request(url).get('/dashboard/?lang=ru').expect(200);
    expect(page.text).toContain('<title>Фоновые задания</title>');
  });
});

describe('docs/ru/1c-names.md', () => {
  test('the tables of 1C names are the alias table (UPDATE_README=1 npx jest test/docs/russian.test.ts rewrites them)', () => {
    expectGenerated(
      NAMES,
      '<!-- Имена 1С: создаются из src/compat/aliases.ts, см. test/docs/russian.test.ts -->',
      '<!-- конец имен 1С -->',
      russianNameTables(),
    );
  });

  test(
    'its example prints what the page shows',
    async () => {
      const run = await promisify(execFile)(process.execPath, ['пример.mjs'], { cwd: exampleProject(NAMES) });
      const shown = /`node пример\.mjs` выводит:\n\n```text\n([\s\S]*?)```/.exec(read(NAMES))?.[1];
      expect(run.stdout).toBe(shown);
    },
    STARTING,
  );
});
