// `web-background-jobs init`, the built command run as users run it (node dist/cli/main.js) in temporary folders:
// what it writes for CommonJS and ES module projects, what it refuses to overwrite, how it answers a slip, and the
// point of it all: the project it scaffolds, with the lines it prints pasted into an Express app, runs the example
// job under plain Node (a real server, a real worker thread, seen through the dashboard's API).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { eventually, ROOT, tempDir } from '../helpers';

const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const EXAMPLE_CONFIG = readFileSync(path.join(ROOT, 'web.config.example'), 'utf8');
const REQUIRE_LINE = "const { backgroundJobs, backgroundJobsDashboard } = require('web-background-jobs');";
const IMPORT_LINE = "import backgroundJobs, { backgroundJobsDashboard } from 'web-background-jobs';";

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command in `cwd`, as `npx web-background-jobs …` there would. */
function runCli(args: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A consumer project: a fresh folder whose package.json has this `"type"` (none: CommonJS). */
function project(type?: 'module'): string {
  const folder = tempDir();
  writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }));
  return folder;
}

/** The indented block that follows the line of init's output starting with `heading`, unindented. */
function blockAfter(stdout: string, heading: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  const block = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('  ')) break;
    block.push(line.trim());
  }
  return block;
}

describe('web-background-jobs init', () => {
  test('in a CommonJS project it writes web.config with every setting at its default and handlers/Example.js, and prints the require form', async () => {
    const folder = project();
    const run = await runCli(['init'], folder);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(path.join(folder, 'web.config'), 'utf8')).toBe(EXAMPLE_CONFIG);
    expect(readdirSync(path.join(folder, 'handlers'))).toEqual(['Example.js']);
    const handler = readFileSync(path.join(folder, 'handlers', 'Example.js'), 'utf8');
    expect(handler).toContain("require('web-background-jobs')");
    expect(handler).toContain('module.exports = { Run };');
    expect(run.stdout).toContain('Wrote handlers/Example.js: an example job, Example.Run, in CommonJS');
    const [importLine, useLine, routeLine] = blockAfter(run.stdout, 'Add these three lines');
    expect([importLine, useLine]).toEqual([REQUIRE_LINE, 'app.use(backgroundJobs());']);
    expect(routeLine).toContain("req.backgroundJobs.execute('Example.Run', ['world'])");
  });

  test('in an ES module project it writes handlers/Example.mjs into the folder given, creating it, and prints the import form', async () => {
    const parent = project('module');
    const run = await runCli(['init', 'apps/new'], parent);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const folder = path.join(parent, 'apps', 'new');
    expect(readFileSync(path.join(folder, 'web.config'), 'utf8')).toBe(EXAMPLE_CONFIG);
    expect(readdirSync(path.join(folder, 'handlers'))).toEqual(['Example.mjs']);
    expect(readFileSync(path.join(folder, 'handlers', 'Example.mjs'), 'utf8')).toContain(
      "import { message, progress } from 'web-background-jobs';",
    );
    expect(run.stdout).toContain('Wrote apps/new/web.config');
    expect(run.stdout).toContain('as an ES module (package.json has "type": "module")');
    expect(run.stdout).toContain('start the app from apps/new (web.config is read from the working folder)');
    expect(blockAfter(run.stdout, 'Add these three lines')[0]).toBe(IMPORT_LINE);
  });

  test('refuses to overwrite an existing web.config: names it, exits 1 and writes nothing', async () => {
    const folder = project();
    writeFileSync(path.join(folder, 'web.config'), '<configuration />');
    const run = await runCli(['init'], folder);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'web-background-jobs: not overwriting web.config: it exists; add --force to replace, or run init in another folder\n',
    });
    expect(readFileSync(path.join(folder, 'web.config'), 'utf8')).toBe('<configuration />');
    expect(existsSync(path.join(folder, 'handlers'))).toBe(false);
  });

  test('with --force it replaces web.config and an example handler of the other module kind, which would make Example.Run ambiguous', async () => {
    const folder = project('module');
    mkdirSync(path.join(folder, 'handlers'));
    writeFileSync(path.join(folder, 'handlers', 'example.js'), 'exports.Run = () => 1;');
    writeFileSync(path.join(folder, 'web.config'), '<configuration />');
    const refused = await runCli(['init'], folder);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain('not overwriting web.config, handlers/example.js: they exist');
    const forced = await runCli(['init', '--force'], folder);
    expect(forced).toMatchObject({ code: 0, stderr: '' });
    expect(forced.stdout).toContain('Replaced web.config');
    expect(forced.stdout).toContain('Removed handlers/example.js');
    expect(readFileSync(path.join(folder, 'web.config'), 'utf8')).toBe(EXAMPLE_CONFIG);
    expect(readdirSync(path.join(folder, 'handlers'))).toEqual(['Example.mjs']);
  });

  test.each([
    [['inti'], 'unknown command "inti" (did you mean init?)'],
    [['init', '--forse'], 'unknown option --forse (did you mean --force?)'],
    [['init', '-force'], 'unknown option -force (did you mean --force?)'],
    [['--hepl'], 'unknown option --hepl (did you mean --help?)'],
    [['init', '--yes'], 'unknown option --yes'],
    [[], 'no command given (the one command is init)'],
    [['init', 'a', 'b'], 'init takes one folder, got "a" and "b"'],
  ])(
    'a slip (%j) gets one line naming it, with a did-you-mean where one is close, exit code 2, and nothing written',
    async (args, problem) => {
      const folder = project();
      expect(await runCli(args, folder)).toEqual({
        code: 2,
        stdout: '',
        stderr: `web-background-jobs: ${problem}; see web-background-jobs --help\n`,
      });
      expect(readdirSync(folder)).toEqual(['package.json']);
    },
  );

  test.each([[['--help']], [['init', '-h']]])(
    '%j prints the usage and exits 0, writing nothing',
    async (args) => {
      const folder = project();
      const run = await runCli(args, folder);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^Usage: web-background-jobs init \[folder\] \[--force\]\n/);
      expect(run.stdout).toContain('--force');
      expect(readdirSync(folder)).toEqual(['package.json']);
    },
  );

  test('--version prints the version of the package', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await runCli(['--version'], tempDir())).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('a folder it cannot write into gets one line naming the path and exit code 1, not a stack', async () => {
    const folder = project();
    writeFileSync(path.join(folder, 'taken'), 'a file, not a folder');
    const run = await runCli(['init', 'taken'], folder);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(
      /^web-background-jobs: ENOTDIR: not a directory, \w+ '[^']*\/taken\/[^']*'\n$/,
    );
  });
});

describe('the project init scaffolds', () => {
  const apps: ChildProcess[] = [];
  afterEach(() => apps.splice(0).forEach((app) => app.kill()));

  /** Starts `file` of `folder` with Node, in that folder as a user would; resolves once it printed where it listens. */
  function startApp(folder: string, file: string): Promise<{ url: string; stderr: () => string }> {
    const app = spawn(process.execPath, [file], { cwd: folder });
    apps.push(app);
    let stdout = '';
    let stderr = '';
    app.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      app.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('\n')) {
          const { port } = JSON.parse(stdout) as { port: number };
          resolve({ url: `http://127.0.0.1:${port}`, stderr: () => stderr });
        }
      });
      app.once('exit', (code) => reject(new Error(`the app exited (${code}) before listening: ${stderr}`)));
    });
  }

  test.each([
    ['a CommonJS', undefined, "const express = require('express');"],
    ['an ES module', 'module', "import express from 'express';"],
  ] as const)(
    '%s Express app with the lines init printed runs the example job to Completed, with its progress, message and result in the dashboard',
    async (_kind, type, expressImport) => {
      const folder = project(type);
      const init = await runCli(['init'], folder);
      expect(init).toMatchObject({ code: 0, stderr: '' });
      // The package as installed: node_modules/web-background-jobs is this repository (its dist/), beside express.
      mkdirSync(path.join(folder, 'node_modules'));
      symlinkSync(ROOT, path.join(folder, 'node_modules', 'web-background-jobs'));
      symlinkSync(path.join(ROOT, 'node_modules', 'express'), path.join(folder, 'node_modules', 'express'));
      const [importLine, ...appLines] = blockAfter(init.stdout, 'Add these three lines');
      const [dashboardLine] = blockAfter(init.stdout, 'and this one to watch your jobs');
      writeFileSync(
        path.join(folder, 'app.js'),
        [
          importLine,
          expressImport,
          'const app = express();',
          ...appLines,
          dashboardLine,
          "const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify(server.address())));",
        ].join('\n'),
      );
      const { url, stderr } = await startApp(folder, 'app.js');

      const started = await request(url).post('/example-job').expect(202);
      expect(started.body).toMatchObject({ methodName: 'Example.Run', uuid: expect.any(String) });
      await eventually(async () => {
        const job = await request(url).get(`/background-jobs/api/jobs/${started.body.uuid}`).expect(200);
        expect(job.body).toMatchObject({
          state: 'Completed',
          progress: { percent: 100, text: 'step 5 of 5' },
          messages: [{ text: 'Hello, world!' }],
          result: { greeting: 'Hello, world!', steps: 5 },
        });
      }, 60_000);
      const page = await request(url).get('/background-jobs/').expect(200);
      expect(page.type).toBe('text/html');
      // web.config was found and read without a warning.
      expect(stderr()).toBe('');
    },
    90_000, // a Node process, a worker thread and a one-second job: seconds alone, far longer on a loaded machine
  );
});
