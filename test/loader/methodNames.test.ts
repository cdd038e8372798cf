import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BackgroundJobState } from 'web-background-jobs';
import { createManager, HANDLERS, tempDir } from '../helpers';

describe('method names resolve like 1C, and only to handlers inside the folder', () => {
  test.each([
    ['an empty name', '', /is empty/],
    ['one part', 'Reports', /has 1 part/],
    ['three parts', 'Reports.Build.Now', /has 3 part/],
    ['a trailing dot', 'Reports.', /"" is not an identifier/],
    ['a path separator', 'handlers/Reports.Build', /path separator/],
    ['a backslash', 'Reports\\x.Build', /path separator/],
    ['a parent folder', '...Build', /contains "\.\."/],
    ['an absolute path', '/etc/passwd.Build', /path separator/],
    ['a drive path', 'C:.Build', /"C:" is not an identifier/],
    ['spaces', 'Reports. Build', /" Build" is not an identifier/],
    ['constructor', 'Reports.constructor', /inherits/],
    ['__proto__', 'Reports.__proto__', /inherits/],
    ['toString in any case', 'Reports.TOSTRING', /inherits/],
    ['hasOwnProperty', 'Reports.hasOwnProperty', /inherits/],
    ['a number', 42, /must be a string/],
    ['null', null, /must be a string/],
    ['a very long name', `A.${'b'.repeat(300)}`, /longer than 255/],
  ])('%s is refused with WBJ_BAD_METHOD_NAME and nothing runs', async (_case, name, reason) => {
    const manager = createManager();
    await expect(manager.execute(name as string)).rejects.toMatchObject({
      code: 'WBJ_BAD_METHOD_NAME',
      message: expect.stringMatching(reason),
    });
    expect(await manager.getBackgroundJobs()).toEqual([]);
  });

  test('resolution ignores case, and the job keeps the name as given', async () => {
    const manager = createManager();
    const job = await manager.execute('rEPORTS.bUILD', [2, 'x']);
    await job.waitForCompletion();
    expect(job.result).toBe('2:x');
    expect(job.methodName).toBe('rEPORTS.bUILD');
  });

  test('Cyrillic module and method names resolve, as in the seed', async () => {
    const manager = createManager();
    const job = await manager.execute('Тестовый.ТестовоеФЗ', [1, '1.txt']);
    await job.waitForCompletion();
    expect(job.result).toBe('1.txt #1');
  });

  test('a .cjs module resolves', async () => {
    const manager = createManager();
    const job = await manager.execute('Legacy.Hello', ['1C']);
    await job.waitForCompletion();
    expect(job.result).toBe('hello 1C');
  });

  test.each([
    ['a missing module', 'Missing.Build', /No handler module "Missing"/],
    ['a missing method', 'Reports.Missing', /exports no function "Missing"; it exports 3 functions$/],
    [
      'an export that is not a function',
      'Reports.answer',
      /is not a function: Reports\.js exports answer as number/,
    ],
  ])('%s is refused with WBJ_HANDLER_NOT_FOUND', async (_case, name, message) => {
    const manager = createManager();
    await expect(manager.execute(name)).rejects.toMatchObject({
      code: 'WBJ_HANDLER_NOT_FOUND',
      message: expect.stringMatching(message),
    });
  });

  const byName = ': export each job method by name (export function Run, or exports.Run = … in CommonJS)';
  test.each([
    [
      // As TypeScript compiles `export default { Run }` to CommonJS; an ES module's namespace has the same `default`.
      'a default export',
      'Default.js',
      'Object.defineProperty(exports, "__esModule", { value: true }); exports.default = { Run: async () => 1 };',
      'Its default export is not read',
    ],
    [
      'a module.exports function',
      'Whole.js',
      'module.exports = async function Run() {};',
      'module.exports is itself a function, which is not read',
    ],
  ])('%s is named as not read, with how to export the method by name', async (_case, file, source, what) => {
    const folder = tempDir();
    writeFileSync(path.join(folder, file), `${source}\n`);
    const module = path.basename(file, path.extname(file));
    await expect(createManager({ handlers: folder }).execute(`${module}.Run`)).rejects.toMatchObject({
      code: 'WBJ_HANDLER_NOT_FOUND',
      message: expect.stringContaining(
        `exports no function "Run"; it exports no functions. ${what}${byName}`,
      ),
    });
  });

  test('a module that throws while loading fails execute with its error, and the next execute still works', async () => {
    const manager = createManager();
    const error = await manager.execute('Broken.Anything').catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'WBJ_HANDLER_LOAD_FAILED',
      message: expect.stringContaining('Broken.js cannot load'),
    });
    expect((error as Error).cause).toBeInstanceOf(Error);
    const job = await manager.execute('Reports.Build', [1, 'ok']);
    await job.waitForCompletion();
    expect(job.state).toBe(BackgroundJobState.Completed);
  });

  test('two modules matching case-insensitively are ambiguous', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'Twin.js'), 'exports.Run = () => 1;');
    writeFileSync(path.join(folder, 'twin.js'), 'exports.Run = () => 2;');
    const manager = createManager({ handlers: folder });
    await expect(manager.execute('Twin.Run')).rejects.toMatchObject({
      code: 'WBJ_HANDLER_AMBIGUOUS',
      message: expect.stringMatching(/Twin\.js, twin\.js|twin\.js, Twin\.js/),
    });
  });

  test('two exports matching case-insensitively are ambiguous', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'Dup.js'), 'exports.run = () => 1; exports.Run = () => 2;');
    const manager = createManager({ handlers: folder });
    await expect(manager.execute('Dup.RUN')).rejects.toMatchObject({ code: 'WBJ_HANDLER_AMBIGUOUS' });
  });

  test('a symlink leading outside the handlers folder is refused', async () => {
    const root = tempDir();
    const folder = path.join(root, 'handlers');
    mkdirSync(folder);
    writeFileSync(path.join(root, 'Secret.js'), 'exports.Leak = () => "leaked";');
    symlinkSync(path.join(root, 'Secret.js'), path.join(folder, 'Secret.js'));
    const manager = createManager({ handlers: folder });
    await expect(manager.execute('Secret.Leak')).rejects.toMatchObject({
      code: 'WBJ_BAD_METHOD_NAME',
      message: expect.stringContaining('resolves outside the handlers folder'),
    });
  });

  test('a symlink to another file inside the folder is followed', async () => {
    const folder = tempDir();
    writeFileSync(path.join(folder, 'Real.js'), 'exports.Run = () => "real";');
    symlinkSync(path.join(folder, 'Real.js'), path.join(folder, 'Alias.js'));
    const manager = createManager({ handlers: folder });
    const job = await manager.execute('Alias.Run');
    await job.waitForCompletion();
    expect(job.result).toBe('real');
  });

  test('a module added after a failed lookup is found by the next execute', async () => {
    const folder = tempDir();
    const manager = createManager({ handlers: folder });
    await expect(manager.execute('Late.Run')).rejects.toMatchObject({ code: 'WBJ_HANDLER_NOT_FOUND' });
    writeFileSync(path.join(folder, 'Late.js'), 'exports.Run = () => "late";');
    const job = await manager.execute('Late.Run');
    await job.waitForCompletion();
    expect(job.result).toBe('late');
  });

  test("a missing handlers folder is named in the error's cause, not in its message", async () => {
    const manager = createManager({ handlers: path.join(HANDLERS, 'nope') });
    const error = (await manager.execute('Reports.Build').catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({
      code: 'WBJ_HANDLER_NOT_FOUND',
      message: expect.not.stringContaining(HANDLERS),
    });
    expect((error.cause as Error).message).toContain(path.join(HANDLERS, 'nope'));
  });
});
