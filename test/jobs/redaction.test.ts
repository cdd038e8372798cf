import { cpSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import {
  backgroundJobsDashboard,
  type BackgroundJobsError,
  type ErrorInfo,
  type Isolation,
} from 'web-background-jobs';
import {
  appWithJobs,
  attachingConfig,
  createManager,
  describeEachIsolation,
  ISOLATIONS,
  ROOT,
  runNode,
  tempDir,
} from '../helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'hostile');

// Some tests start a Node process of their own, slow on a loaded machine: a generous bound for all.
jest.setTimeout(60_000);
const MARKER = '<outside the handlers folder>';

// An application folder and a handlers folder whose names have spaces and parentheses, which stack frames
// write without quoting: the fixture handlers are copied there.
const root = tempDir();
const appFolder = path.join(root, 'my app (v2)');
const handlers = path.join(appFolder, 'handlers (prod) 1');
cpSync(path.join(FIXTURES, 'handlers'), handlers, { recursive: true });
cpSync(path.join(FIXTURES, 'lib'), path.join(appFolder, 'lib'), { recursive: true });
const helper = path.join(appFolder, 'lib', 'helper.js');
// A module that fails to load: Node's message lists the absolute path of each module in the require stack.
writeFileSync(path.join(handlers, 'Needy.js'), "require('./absent-helper');\n");
const croner = require.resolve('croner');

/** Every absolute path of this machine a response could give away, as a path and as a file URL. */
const MACHINE_PATHS = [
  root,
  process.cwd(),
  os.homedir(),
  os.tmpdir(),
  ROOT,
  realpathSync(ROOT),
  path.dirname(croner),
  realpathSync(path.dirname(croner)),
]
  .filter((folder) => folder.length > 1)
  .flatMap((folder) => [folder, pathToFileURL(folder).href]);

function expectNoMachinePath(text: string): void {
  for (const folder of MACHINE_PATHS) expect(text).not.toContain(folder);
  expect(text).not.toContain('node_modules');
}

/** The app docs/api.md describes: `res.json(job)`, with the dashboard beside it. */
function jsonApp(isolation: Isolation) {
  const { app, manager } = appWithJobs({ handlers, isolation });
  app.get('/jobs/:uuid', async (req, res) => {
    res.json(await req.backgroundJobs.findByUUID(req.params.uuid as string));
  });
  app.use('/dashboard', backgroundJobsDashboard());
  return { app, manager };
}

/**
 * Runs `methodName` to its failure and reads it back through `res.json(job)`, the dashboard's details and its
 * list; checks that no machine path is in any of them and that toJSON() and the dashboard show the same errorInfo.
 */
async function failure(isolation: Isolation, methodName: string, params: unknown[] = []) {
  const { app, manager } = jsonApp(isolation);
  const job = await manager.execute(methodName, params);
  await job.waitForCompletion().catch(() => undefined);
  const sent = await request(app).get(`/jobs/${job.uuid}`).expect(200);
  const details = await request(app).get(`/dashboard/api/jobs/${job.uuid}`).expect(200);
  const list = await request(app).get('/dashboard/api/jobs').expect(200);
  for (const response of [sent, details, list]) expectNoMachinePath(response.text);
  expect(details.body.errorInfo).toEqual(sent.body.errorInfo);
  expect(list.body.jobs[0].error).toBe(sent.body.errorInfo.description);
  return { shown: sent.body.errorInfo as ErrorInfo, full: job.errorInfo! };
}

/** What `execution` rejected with. */
function refusal(execution: Promise<unknown>): Promise<BackgroundJobsError> {
  return execution.then(
    () => Promise.reject(new Error('execute() resolved; it was expected to reject')),
    (error: BackgroundJobsError) => error,
  );
}

/** The frame lines of a stack (`at …`), trimmed. */
function frameLines(stack: string): string[] {
  return stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .map((line) => line.trim());
}

describeEachIsolation(
  'errorInfo as toJSON() and the dashboard send it holds no path of the machine',
  (isolation) => {
    test('an error thrown in eval points at the handler line that called eval', async () => {
      const { shown, full } = await failure(isolation, 'Frames.Eval');
      expect(shown).toMatchObject({ moduleName: 'Frames.js', lineNumber: 7, description: 'thrown in eval' });
      expect(shown.sourceLine).toContain("eval('throw new Error");
      expect(frameLines(shown.stack)[0]).toMatch(
        /^at eval \(eval at \S+ \(Frames\.js:7:\d+\), <anonymous>:1:\d+\)$/,
      );
      expect(full.stack).toContain(handlers); // the job keeps the whole stack
    });

    test('an error thrown in new Function points at the handler line that called it', async () => {
      const { shown } = await failure(isolation, 'Frames.NewFunction');
      expect(shown).toMatchObject({ moduleName: 'Frames.js', lineNumber: 8 });
      expect(frameLines(shown.stack)[0]).toMatch(
        /^at eval \(eval at \S+ \(Frames\.js:8:\d+\), <anonymous>:\d+:\d+\)$/,
      );
    });

    test('node:internal frames are replaced by the marker; the handler frame stays', async () => {
      const { shown, full } = await failure(isolation, 'Frames.Internal');
      expect(full.stack).toMatch(/\(node:internal\//);
      expect(shown.stack).not.toContain('node:');
      expect(frameLines(shown.stack)[0]).toBe(`at new URL (${MARKER})`);
      expect(shown).toMatchObject({ moduleName: 'Frames.js', lineNumber: 10 });
      expect(shown.stack).toMatch(/\(Frames\.js:10:\d+\)/);
    });

    test('a path quoted in the message is replaced in the description, the details and the stack', async () => {
      const { shown, full } = await failure(isolation, 'Frames.ReadMissing', [
        path.join(appFolder, 'secret (1).txt'),
      ]);
      expect(full.description).toContain(appFolder);
      const description = `ENOENT: no such file or directory, open '${MARKER}'`;
      expect(shown.description).toBe(description);
      expect(shown.detailedDescription).toBe(`{Frames.js(12)}: ${description}`);
      expect(shown.stack.split('\n')[0]).toBe(`Error: ${description}`);
    });

    test('a path of the handlers folder quoted in the message is shown relative to it', async () => {
      const { shown } = await failure(isolation, 'Frames.ReadOwnMissing');
      expect(shown.description).toBe("ENOENT: no such file or directory, open 'missing.txt'");
    });

    test('frames of the application outside the handlers folder are replaced by the marker', async () => {
      const { shown, full } = await failure(isolation, 'Frames.Outside');
      expect(full.stack).toContain(helper);
      expect(frameLines(shown.stack)[0]).toBe(`at exports.fail (${MARKER})`);
      expect(shown).toMatchObject({ moduleName: 'Frames.js', lineNumber: 16 });
    });

    test('frames inside an installed package are replaced by the marker', async () => {
      const { shown, full } = await failure(isolation, 'Frames.Package', [croner]);
      expect(full.stack).toContain('node_modules');
      expect(frameLines(shown.stack)[0]).toMatch(/^at .+ \(<outside the handlers folder>\)$/);
      expect(shown).toMatchObject({ moduleName: 'Frames.js', lineNumber: 18 });
    });

    test('the causes are redacted too', async () => {
      const { shown, full } = await failure(isolation, 'Frames.Caused');
      expect(full.cause!.stack).toContain(helper);
      expect(frameLines(shown.cause!.stack)[0]).toBe(`at exports.fail (${MARKER})`);
      expect(shown.detailedDescription).toBe(
        '{Frames.js(24)}: the effect\ncaused by: {Frames.js(22)}: the cause',
      );
    });

    test('Windows paths, UNC paths and file URLs of other machines are replaced by the marker', async () => {
      const stack = [
        'Error: bad',
        '    at handler (C:\\Users\\me\\app\\handlers\\Jobs.js:3:5)',
        '    at run (C:\\Program Files (x86)\\nodejs\\x.js:1:1)',
        '    at file:///C:/Users/me/app/x.mjs:2:2',
        '    at \\\\server\\share\\x.js:4:4',
        '    at D:/work/y.js:5:5',
      ].join('\n');
      const { shown } = await failure(isolation, 'Frames.Crafted', ['bad', stack]);
      expect(frameLines(shown.stack)).toEqual([
        `at handler (${MARKER})`,
        `at run (${MARKER})`,
        `at ${MARKER}`,
        `at ${MARKER}`,
        `at ${MARKER}`,
      ]);
      expect(shown.moduleName).toBe(MARKER);
      expect(shown.detailedDescription).toBe(`{${MARKER}(3)}: bad`);
    });

    test('a frame with no function name in a folder with parentheses is found and shown relative', async () => {
      const stack = `Error: anonymous\n    at ${path.join(handlers, 'Frames.js')}:5:1\n    at ${helper}:3:9`;
      const { shown, full } = await failure(isolation, 'Frames.Crafted', ['anonymous', stack]);
      expect(full).toMatchObject({ moduleName: 'Frames.js', lineNumber: 5 });
      expect(frameLines(shown.stack)).toEqual(['at Frames.js:5:1', `at ${MARKER}`]);
    });

    test('a file outside the handlers folder as moduleName is replaced by the marker, in detailedDescription too', async () => {
      const stack = `Error: lost\n    at fn (${helper}:3:9)`;
      const { shown, full } = await failure(isolation, 'Frames.Crafted', ['lost', stack]);
      expect(full.moduleName).toBe(helper);
      expect(shown).toMatchObject({
        moduleName: MARKER,
        lineNumber: 3,
        detailedDescription: `{${MARKER}(3)}: lost`,
      });
    });

    test('frames quoted in the message, with spaces and parentheses, are replaced in description and stack', async () => {
      const message = `failed at ${helper}:3:9 and at ${path.join(handlers, 'Frames.js')}:5:1, see ${appFolder}/x y.txt`;
      const stack = `Error: ${message}\n    at fn (${path.join(handlers, 'Frames.js')}:5:1)`;
      const { shown } = await failure(isolation, 'Frames.Crafted', [message, stack]);
      const description = `failed at ${MARKER} and at Frames.js:5:1, see ${MARKER} y.txt`;
      expect(shown.description).toBe(description);
      expect(shown.detailedDescription).toBe(`{Frames.js(5)}: ${description}`);
      expect(shown.stack).toBe(`Error: ${description}\n    at fn (Frames.js:5:1)`);
    });
  },
);

describe.each(ISOLATIONS)(
  'in a real Node process, which imports ES modules and requires as Node does [%s]',
  (isolation) => {
    test('an ES module handler: its file:// frames show the file relative to the handlers folder; a module failing to load names no path', async () => {
      const run = await runNode(
        [
          path.join(ROOT, 'test', 'fixtures', 'process', 'to-json.mjs'),
          handlers,
          isolation,
          'Esm.Throw',
          'Needy.Run',
        ],
        { WBJ_CONFIG: attachingConfig() },
      );
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const [esm, needy] = JSON.parse(run.stdout);
      expectNoMachinePath(JSON.stringify(esm.sent));
      expectNoMachinePath(needy.message);
      expect(esm.errorInfo.stack).toContain(pathToFileURL(handlers).href);
      expect(esm.sent.errorInfo).toMatchObject({ moduleName: 'Esm.mjs', lineNumber: 3 });
      expect(frameLines(esm.sent.errorInfo.stack)[0]).toMatch(/^at Throw \(Esm\.mjs:3:\d+\)$/);
      expect(needy).toMatchObject({ code: 'WBJ_HANDLER_LOAD_FAILED' });
      expect(needy.message).toContain(
        "Cannot find module './absent-helper'\nRequire stack:\n- Needy.js\n- <outside",
      );
    });
  },
);

describe('handler lookup errors name no folder path and list no exports', () => {
  test('a missing module: the message names the files expected, not the folder', async () => {
    const error = await refusal(createManager({ handlers }).execute('Nope.Run'));
    expect(error).toMatchObject({
      code: 'WBJ_HANDLER_NOT_FOUND',
      message:
        'No handler module "Nope" in the handlers folder; expected a file Nope.js or Nope.cjs or Nope.mjs',
    });
  });

  test('a missing method: the message names a close match and how many functions there are, not each export', async () => {
    const error = await refusal(createManager({ handlers }).execute('Frames.Evl'));
    expect(error).toMatchObject({
      code: 'WBJ_HANDLER_NOT_FOUND',
      message: 'Frames.js exports no function "Evl"; did you mean Eval? It exports 9 functions',
    });
  });

  test('a missing method with no close match says how many functions there are', async () => {
    const error = await refusal(createManager({ handlers }).execute('Frames.Unrelated'));
    expect((error as BackgroundJobsError).message).toBe(
      'Frames.js exports no function "Unrelated"; it exports 9 functions',
    );
  });

  test('a missing handlers folder: the message does not name it, its cause does', async () => {
    const missing = path.join(appFolder, 'gone (2)');
    const error = await refusal(createManager({ handlers: missing }).execute('Frames.Eval'));
    expect(error).toMatchObject({ code: 'WBJ_HANDLER_NOT_FOUND' });
    expectNoMachinePath(error.message);
    expect(error.message).toMatch(/handlers folder does not exist/);
    expect(String((error.cause as Error).message)).toContain(missing);
  });

  test('a module that fails to load: the message shows its error with paths relative to the folder', async () => {
    const error = await refusal(createManager({ handlers }).execute('Needy.Run'));
    expect(error).toMatchObject({ code: 'WBJ_HANDLER_LOAD_FAILED' });
    expectNoMachinePath(error.message);
    expect(error.message).toContain("Cannot find module './absent-helper'");
    expect((error.cause as Error).message).toContain(handlers);
  });

  test('a symlink leading outside: the message does not name the folder', async () => {
    const folder = path.join(root, 'links (1)');
    mkdirSync(folder);
    writeFileSync(path.join(root, 'Secret.js'), 'exports.Leak = () => "leaked";');
    symlinkSync(path.join(root, 'Secret.js'), path.join(folder, 'Secret.js'));
    const error = await refusal(createManager({ handlers: folder }).execute('Secret.Leak'));
    expect(error).toMatchObject({ code: 'WBJ_BAD_METHOD_NAME' });
    expectNoMachinePath(error.message);
  });
});
