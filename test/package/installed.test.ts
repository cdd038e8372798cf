// The package as a user receives it: a copy of the repository without dist/ (a fresh clone) is packed by npm, which
// builds it through `prepare` as an install from git does; the tarball is installed into an empty project, where
// CommonJS, ES modules and TypeScript use it, first on the memory store alone (without the Redis clients, optional
// peer dependencies), then on Redis once the project installs them. Slow (a build, two npm installs and two tsc
// runs: ~40 s alone, minutes on a busy machine): it is the only test of what package.json ships and depends on.
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runNode, tempDir } from '../helpers';
import { startRedis } from '../redisServer';

const exec = promisify(execFile);
/** What a fresh clone lacks: what `npm install`, the build and the tests make, and git's own data. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', 'coverage', '.git', '.demo-output']);
/** The Redis clients: optional peer dependencies, which only an application on a Redis store installs. */
const REDIS_CLIENTS = ['bullmq', 'ioredis'] as const;
/** What npm is asked to run, from the package's own ranges: `bullmq@^6.7.0`, … */
const { peerDependencies } = require('../../package.json') as { peerDependencies: Record<string, string> };
/** An npm install in the consumer project, from npm's cache, which the repository's own `npm install` filled. */
const NPM_INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];

let consumer: string;
let packed: string[];

beforeAll(async () => {
  const folder = tempDir();
  const clone = path.join(folder, 'clone');
  cpSync(ROOT, clone, {
    recursive: true,
    filter: (source) => !NOT_IN_A_CLONE.has(path.relative(ROOT, source)),
  });
  // The devDependencies `prepare` builds with, as npm installs them into a git dependency's clone.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  const pack = await exec('npm', ['pack', '--json', '--pack-destination', folder], { cwd: clone });
  const [report] = JSON.parse(pack.stdout) as {
    filename: string;
    files: { path: string }[];
  }[];
  packed = report.files.map((file) => file.path);

  consumer = path.join(folder, 'consumer');
  mkdirSync(consumer);
  writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
  await exec('npm', [...NPM_INSTALL, path.join(folder, report.filename)], { cwd: consumer });
  // The application's own express and its types (express is an optional peer dependency of the package).
  const modules = path.join(consumer, 'node_modules');
  mkdirSync(path.join(modules, '@types'), { recursive: true });
  for (const name of ['express', path.join('@types', 'express')]) {
    symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name));
  }
}, 240_000); // a TypeScript build and an npm install: seconds alone, minutes on a machine shared by many sessions

/** Runs a file of the consumer project with Node (it resolves the package from its own folder); returns its last JSON line. */
async function runInConsumer(file: string, ...args: string[]): Promise<unknown> {
  const run = await runNode([path.join(consumer, file), ...args]);
  expect(run).toMatchObject({ code: 0 });
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '');
}

/** Which of the Redis clients the consumer project has in its node_modules. */
function installedClients(): string[] {
  return REDIS_CLIENTS.filter((name) => existsSync(path.join(consumer, 'node_modules', name)));
}

describe('the package packed from a fresh clone and installed into an empty project', () => {
  test('npm pack builds dist/ through prepare and ships the compiled entry points, not the sources or tests', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/index.mjs',
        'dist/index.d.mts',
      ]),
    );
    expect(packed.filter((file) => /^(src|test)\//.test(file))).toEqual([]);
  });

  test('a memory-only application installs neither bullmq nor ioredis, and CommonJS require runs a job inline and in a worker thread whose handler requires the package too', async () => {
    expect(installedClients()).toEqual([]);
    mkdirSync(path.join(consumer, 'handlers'));
    writeFileSync(
      path.join(consumer, 'handlers', 'Greeting.js'),
      `const { message } = require('web-background-jobs');
exports.Hello = (name) => {
  message('greeting ' + name);
  return 'hello ' + name;
};
`,
    );
    writeFileSync(
      path.join(consumer, 'run.cjs'),
      `const path = require('node:path');
const { BackgroundJobsManager } = require('web-background-jobs');
const [isolation, store = 'memory'] = process.argv.slice(2);
const manager = new BackgroundJobsManager({ handlers: path.join(__dirname, 'handlers'), isolation, store });
manager.execute('Greeting.Hello', ['1C']).then(async (job) => {
  await job.waitForCompletion(60);
  const messages = job.getUserMessages().map((m) => m.text);
  await manager.close();
  console.log(JSON.stringify({ state: job.state, result: job.result, messages }));
});
`,
    );
    for (const isolation of ['inline', 'thread']) {
      expect(await runInConsumer('run.cjs', isolation)).toEqual({
        state: 'Completed',
        result: 'hello 1C',
        messages: ['greeting 1C'],
      });
    }
  }, 60_000); // two Node processes, each with a worker thread: a second alone, far longer on a busy machine

  test('a Redis store without bullmq and ioredis fails at once, where the manager is built, with WBJ_CONFIG naming the store (password hidden) and the npm install command', async () => {
    expect(installedClients()).toEqual([]);
    await expectRefused(
      'redis://app:secret@127.0.0.1:1/0',
      'jobsStore is the Redis store redis://app:***@127.0.0.1:1/0, which runs on bullmq and ioredis, but bullmq and ' +
        'ioredis are not installed (optional peer dependencies of web-background-jobs, for Redis only). Install them ' +
        'in the application: npm install bullmq ioredis',
    );
  });

  test('a bullmq that is installed but misses a module of its own is reported with that module, not as not installed', async () => {
    // A bullmq whose first require fails, as a broken install's would.
    const fake = path.join(consumer, 'node_modules', 'bullmq');
    mkdirSync(fake);
    writeFileSync(path.join(fake, 'package.json'), '{ "name": "bullmq", "main": "index.js" }\n');
    writeFileSync(path.join(fake, 'index.js'), "require('msgpackr');\n");
    try {
      await expectRefused(
        'redis://127.0.0.1:1',
        'jobsStore is the Redis store redis://127.0.0.1:1, which runs on bullmq; bullmq is installed but failed to ' +
          "load: Cannot find module 'msgpackr'. Reinstall it in the application: npm install bullmq ioredis",
      );
    } finally {
      rmSync(fake, { recursive: true });
    }
  });

  test('without express, the middleware serves a plain http server and backgroundJobsDashboard() fails with WBJ_CONFIG naming npm install express', async () => {
    const express = path.join(consumer, 'node_modules', 'express');
    const hidden = `${express}.hidden`;
    renameSync(express, hidden);
    try {
      mkdirSync(path.join(consumer, 'plain'), { recursive: true });
      writeFileSync(
        path.join(consumer, 'plain', 'Greeting.js'),
        "exports.Hello = (name) => 'hello ' + name;\n",
      );
      writeFileSync(
        path.join(consumer, 'plain.cjs'),
        `const http = require('node:http');
const path = require('node:path');
const { backgroundJobs, backgroundJobsDashboard } = require('web-background-jobs');
const attach = backgroundJobs({ handlers: path.join(__dirname, 'plain'), isolation: 'inline' });
let dashboard;
try {
  backgroundJobsDashboard();
} catch (error) {
  dashboard = { code: error.code, message: error.message };
}
const server = http.createServer((req, res) =>
  attach(req, res, async () => {
    const job = await req.backgroundJobs.execute('Greeting.Hello', ['http']);
    await job.waitForCompletion(30);
    res.end(job.result);
  }),
);
server.listen(0, '127.0.0.1', () => {
  http.get({ port: server.address().port, host: '127.0.0.1' }, (res) => {
    let body = '';
    res.on('data', (chunk) => (body += chunk));
    res.on('end', async () => {
      server.close();
      await attach.manager.close();
      console.log(JSON.stringify({ body, dashboard }));
    });
  });
});
`,
      );
      expect(await runInConsumer('plain.cjs')).toEqual({
        body: 'hello http',
        dashboard: {
          code: 'WBJ_CONFIG',
          message:
            'backgroundJobsDashboard() is an Express router, but express is not installed (an optional peer ' +
            'dependency of web-background-jobs). Install it in the application: npm install express',
        },
      });
    } finally {
      renameSync(hidden, express);
    }
  }, 60_000);

  test('ES module import and CommonJS require of the installed package share one copy of the library', async () => {
    copyFileSync(
      path.join(ROOT, 'test', 'fixtures', 'process', 'dual-package.mjs'),
      path.join(consumer, 'dual.mjs'),
    );
    expect(await runInConsumer('dual.mjs')).toMatchObject({
      sameManager: true,
      sameCurrentJob: true,
      exports: expect.arrayContaining(['backgroundJobs', 'BackgroundJobsManager', 'МенеджерФоновыхЗаданий']),
    });
  });

  test('the type declarations serve strict TypeScript users of both module systems, without bullmq and ioredis, with req.backgroundJobs and 1C names typed without casts', async () => {
    // skipLibCheck is off: a declaration that named a type of the Redis clients would fail without them.
    expect(installedClients()).toEqual([]);
    const source = `import express from 'express';
import attachJobs, {
  backgroundJobs,
  BackgroundJobs,
  BackgroundJobState,
  type BackgroundJob,
  МенеджерФоновыхЗаданий,
  ФоновоеЗадание,
  РегламентноеЗадание,
  ФоновыеЗадания,
} from 'web-background-jobs';
const app = express();
app.use(backgroundJobs());
express().use(attachJobs({ closeOnServerClose: true }));
app.get('/', (req) => req.backgroundJobs.execute('Reports.Build', [1]));
app.post('/r', async (req, res) => {
  const job: BackgroundJob = await req.backgroundJobs.execute('Reports.Build', [1], 'K', 'D');
  const state: BackgroundJobState = job.Состояние;
  const again: BackgroundJob[] = await req.backgroundJobs.ПолучитьФоновыеЗадания({ Ключ: 'K' });
  res.json({ state, count: again.length, messages: job.getUserMessages().map((m) => m.text) });
});
// 1C's class names, without Web, are the classes themselves: types as well as values.
export async function oneC(): Promise<void> {
  const Менеджер: МенеджерФоновыхЗаданий = new МенеджерФоновыхЗаданий();
  let Задание: ФоновоеЗадание = await Менеджер.Выполнить('Reports.Build', [1]);
  Задание = await Задание.ОжидатьЗавершенияВыполнения(5);
  const Первое: ФоновоеЗадание | undefined = await Менеджер.ОжидатьЛюбое([Задание], 1);
  const Регламентное: РегламентноеЗадание | undefined = await Менеджер.РегламентныеЗадания.НайтиПоИмени('X');
  await Менеджер.Очистить();
  console.log(Первое, Регламентное);
}
export async function parent(): Promise<unknown[]> {
  const children: BackgroundJob[] = [await ФоновыеЗадания.Выполнить('Дети.Считать', [1])];
  await BackgroundJobs.WaitForCompletion(children, 60);
  return children.map((child) => child.Результат);
}
`;
    writeFileSync(path.join(consumer, 'consumer.mts'), source);
    writeFileSync(path.join(consumer, 'consumer.cts'), source);
    const broken = `import { BackgroundJobsManager } from 'web-background-jobs';\nnew BackgroundJobsManager().Выполнить(42);\n`;
    writeFileSync(path.join(consumer, 'broken.mts'), broken);
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = [
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--esModuleInterop',
      '--types',
      'node',
    ];
    const good = await runNode([
      tsc,
      ...flags,
      path.join(consumer, 'consumer.mts'),
      path.join(consumer, 'consumer.cts'),
    ]);
    expect(good).toMatchObject({ code: 0, stdout: '' });
    const bad = await runNode([tsc, ...flags, path.join(consumer, 'broken.mts')]);
    expect(bad.stdout).toContain("Argument of type 'number' is not assignable to parameter of type 'string'");
  }, 120_000); // two tsc runs: each takes seconds alone and far longer on a busy machine

  test('web-background-jobs/client is an ES module with no imports: Node imports it without a warning, and its declarations type a strict browser page', async () => {
    expect(packed).toEqual(expect.arrayContaining(['dist/client/index.js', 'dist/client/index.d.ts']));
    writeFileSync(
      path.join(consumer, 'client.mjs'),
      "const client = await import('web-background-jobs/client');\nconsole.log(JSON.stringify(Object.keys(client).sort()));\n",
    );
    const run = await runNode([path.join(consumer, 'client.mjs')]);
    expect(run).toEqual({ code: 0, stdout: '["RunJobError","runJob"]\n', stderr: '' });
    const page = `import { runJob, RunJobError, type JobJson, type JobMessage } from 'web-background-jobs/client';
const controller = new AbortController();
export async function build(list: HTMLElement): Promise<unknown> {
  try {
    const job: JobJson = await runJob('/api/jobs', 'Reports.Build', [5], {
      key: 'report',
      onKeyConflict: 'join',
      onProgress: ({ percent, text }) => console.log(percent.toFixed(0), text),
      onMessage: (message: JobMessage) => list.append(message.text),
      signal: controller.signal,
    });
    return job.result;
  } catch (error) {
    if (error instanceof RunJobError && error.code === 'WBJ_JOB_FAILED') return error.errorInfo?.description;
    throw error;
  }
}
`;
    writeFileSync(path.join(consumer, 'page.mts'), page);
    writeFileSync(path.join(consumer, 'misused.mts'), page.replace("'join'", "'merge'"));
    // A browser page's program: DOM types, and no @types of Node or Express.
    const options = { noEmit: true, strict: true, module: 'node16', lib: ['ES2022', 'DOM'], types: [] };
    const files = ['page.mts', 'misused.mts'];
    writeFileSync(
      path.join(consumer, 'tsconfig.page.json'),
      JSON.stringify({ compilerOptions: options, files }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await runNode([tsc, '-p', path.join(consumer, 'tsconfig.page.json')]);
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /misused\.mts\(\d+,\d+\): error TS2322: Type '"merge"' is not assignable to type '"replace" \| "join" \| "reject" \| undefined'/,
      ),
    ]);
  }, 120_000); // a tsc run: seconds alone, far longer on a busy machine
});

test('npx web-background-jobs init, from the installed tarball, scaffolds a project whose example job runs', async () => {
  // --no: the command must come from the installed package, never be fetched from the registry.
  const init = await exec('npx', ['--no', 'web-background-jobs', 'init', 'scaffolded'], { cwd: consumer });
  expect(init.stdout).toContain('Wrote scaffolded/handlers/Example.js');
  writeFileSync(
    path.join(consumer, 'scaffolded', 'run.js'),
    `const { BackgroundJobsManager } = require('web-background-jobs');
const manager = new BackgroundJobsManager({ config: require('node:path').join(__dirname, 'web.config') });
manager.execute('Example.Run', ['npx']).then(async (job) => {
  await job.waitForCompletion(60);
  const messages = job.getUserMessages().map((m) => m.text);
  await manager.close();
  console.log(JSON.stringify({ state: job.state, result: job.result, messages }));
});
`,
  );
  expect(await runInConsumer(path.join('scaffolded', 'run.js'))).toEqual({
    state: 'Completed',
    result: { greeting: 'Hello, npx!', steps: 5 },
    messages: ['Hello, npx!'],
  });
});

describe('the installed package once the application installs the Redis clients', () => {
  test('npm install bullmq ioredis, and a Redis store runs a job in a worker thread on a real redis-server', async () => {
    const ranges = REDIS_CLIENTS.map((name) => `${name}@${peerDependencies[name]}`);
    await exec('npm', [...NPM_INSTALL, ...ranges], { cwd: consumer });
    expect(installedClients()).toEqual(REDIS_CLIENTS);
    const redis = await startRedis();
    try {
      expect(await runInConsumer('run.cjs', 'thread', redis.url)).toEqual({
        state: 'Completed',
        result: 'hello 1C',
        messages: ['greeting 1C'],
      });
    } finally {
      await redis.stop();
    }
  }, 120_000); // an npm install from the cache: seconds alone, a minute on a busy machine
});

/**
 * Builds, in the consumer project, a manager on the Redis store `store` and backgroundJobs() on a web.config whose
 * jobsStore is that store, and expects both refused with WBJ_CONFIG and `message`.
 */
async function expectRefused(store: string, message: string): Promise<void> {
  writeFileSync(
    path.join(consumer, 'redis.config'),
    `<configuration><appSettings>
  <add key="WebBackgroundJobs" value="attachAssembly" />
  <add key="jobsStore" value="${store}" />
</appSettings></configuration>
`,
  );
  writeFileSync(
    path.join(consumer, 'redis-attempt.cjs'),
    `const path = require('node:path');
const { BackgroundJobsManager, backgroundJobs } = require('web-background-jobs');
async function attempt(build) {
  try {
    await build().close();
    return 'built';
  } catch (error) {
    return { name: error.name, code: error.code, message: error.message };
  }
}
(async () => {
  const manager = await attempt(() => new BackgroundJobsManager({ store: process.argv[2] }));
  const middleware = await attempt(() => backgroundJobs({ config: path.join(__dirname, 'redis.config') }).manager);
  console.log(JSON.stringify({ manager, middleware }));
})();
`,
  );
  const refusal = { name: 'BackgroundJobsError', code: 'WBJ_CONFIG', message };
  // Through the option and through web.config's jobsStore, which backgroundJobs() reads.
  expect(await runInConsumer('redis-attempt.cjs', store)).toEqual({ manager: refusal, middleware: refusal });
}
