import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './helpers';

// test/prerequisites.mjs, which `npm test` runs first, on a machine made of a PATH: a folder holding only the fakes
// a case asks for (apt-get, sudo, an installed redis-server), and a Chromium path that exists or not. The fake
// apt-get records its calls and "installs" the packages by creating them there.
const RUNNING_AS_ROOT = process.getuid?.() === 0;
/** A user with no sudo: as root, the script runs as nobody; otherwise as the test's own user. */
const NOBODY = RUNNING_AS_ROOT ? { uid: 65534, gid: 65534 } : {};

interface Machine {
  /** `succeeds elsewhere`: apt-get exits 0 but the tests still do not find the packages. */
  apt?: 'works' | 'fails' | 'succeeds elsewhere';
  sudo?: 'passwordless' | 'asks a password';
  installed?: boolean;
  /** Whether curl is on the PATH: it is on most machines, so it is unless a case says otherwise. */
  curl?: boolean;
}

function machine({ apt, sudo, installed = false, curl = true }: Machine) {
  const folder = tempDir();
  chmodSync(folder, 0o777); // the script may run as nobody, and its fakes write here
  const bin = path.join(folder, 'bin');
  mkdirSync(bin);
  chmodSync(bin, 0o777);
  const log = path.join(folder, 'calls.log');
  const chromium = path.join(folder, 'chromium');
  const redis = path.join(bin, 'redis-server');
  const script = (file: string, body: string) => writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const curlPath = path.join(bin, 'curl');
  if (installed) [chromium, redis].forEach((file) => script(file, 'exit 0'));
  if (curl) script(curlPath, 'exit 0');
  if (apt !== undefined)
    script(
      path.join(bin, 'apt-get'),
      `echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> ${log}\n` +
        (apt === 'fails'
          ? 'echo "E: Unable to locate package" >&2; exit 100'
          : apt === 'succeeds elsewhere'
            ? 'exit 0'
            : `for p in "$@"; do case $p in redis-server) f=${redis};; chromium) f=${chromium};; curl) f=${curlPath};; *) continue;; esac; ` +
              `echo '#!/bin/sh' > $f; /bin/chmod 755 $f; done`),
    );
  if (sudo !== undefined)
    script(
      path.join(bin, 'sudo'),
      sudo === 'asks a password'
        ? 'echo "sudo: a password is required" >&2; exit 1'
        : `echo "sudo $*" >> ${log}\nshift\n"$@"`,
    );
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  // A copy the script's user can read: a clone may sit in a folder only its owner enters (mktemp -d makes one).
  const prerequisites = path.join(folder, 'prerequisites.mjs');
  copyFileSync(path.join(ROOT, 'test', 'prerequisites.mjs'), prerequisites);
  chmodSync(prerequisites, 0o644);
  return { bin, chromium, calls, prerequisites };
}

function checkPrerequisites(on: ReturnType<typeof machine>, user: { uid?: number; gid?: number } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [on.prerequisites],
      { env: { PATH: on.bin, CHROMIUM_PATH: on.chromium }, timeout: 10_000, ...user },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm test first checks for redis-server, Chromium and curl (test/prerequisites.mjs)', () => {
  test('with all installed it says nothing and runs no apt-get', async () => {
    const on = machine({ apt: 'works', sudo: 'passwordless', installed: true });
    expect(await checkPrerequisites(on, NOBODY)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(on.calls()).toEqual([]);
  });

  test('without apt-get it stops with one line naming what is missing', async () => {
    const on = machine({});
    expect(await checkPrerequisites(on, NOBODY)).toEqual({
      code: 1,
      stdout: '',
      stderr: `npm test: the tests need redis-server (on PATH) and chromium (at ${on.chromium}), missing here; install them with your package manager (the tests use Debian's redis-server chromium), then run it again.\n`,
    });
  });

  test('as a user whose sudo asks a password it stops with one line giving the apt-get command, installing nothing', async () => {
    const on = machine({ apt: 'works', sudo: 'asks a password' });
    const run = await checkPrerequisites(on, NOBODY);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      `npm test: the tests need redis-server (on PATH) and chromium (at ${on.chromium}), missing here; install them with: sudo apt-get install -y redis-server chromium`,
    ]);
    expect(on.calls()).toEqual([]);
  });

  test('as a user without sudo it stops with one line giving the apt-get command to run as root', async () => {
    const on = machine({ apt: 'works' });
    const run = await checkPrerequisites(on, NOBODY);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `npm test: the tests need redis-server (on PATH) and chromium (at ${on.chromium}), missing here; install them as root with: apt-get install -y redis-server chromium\n`,
    });
    expect(on.calls()).toEqual([]);
  });

  test('as a user with passwordless sudo it says so in one line and installs only what is missing with sudo apt-get', async () => {
    const on = machine({ apt: 'works', sudo: 'passwordless' });
    writeFileSync(on.chromium, '#!/bin/sh\n', { mode: 0o755 });
    const run = await checkPrerequisites(on, NOBODY);
    expect(run).toEqual({
      code: 0,
      stdout:
        'npm test: installing redis-server with sudo -n apt-get (the tests need redis-server (on PATH), missing here)…\n',
      stderr: '',
    });
    expect(on.calls()).toEqual([
      'sudo -n true',
      'sudo -n apt-get update -qq',
      'apt-get update -qq (DEBIAN_FRONTEND=noninteractive)',
      'sudo -n apt-get install -y -qq redis-server',
      'apt-get install -y -qq redis-server (DEBIAN_FRONTEND=noninteractive)',
    ]);
  });

  test('a machine without curl, which the Try it test runs, is told so and gets it installed with the rest', async () => {
    const on = machine({ apt: 'works', sudo: 'passwordless', curl: false });
    const run = await checkPrerequisites(on, NOBODY);
    expect(run).toEqual({
      code: 0,
      stdout: `npm test: installing redis-server chromium curl with sudo -n apt-get (the tests need redis-server (on PATH), chromium (at ${on.chromium}) and curl (on PATH), missing here)…\n`,
      stderr: '',
    });
    expect(on.calls()).toContain(
      'apt-get install -y -qq redis-server chromium curl (DEBIAN_FRONTEND=noninteractive)',
    );
  });

  (RUNNING_AS_ROOT ? test : test.skip)('as root it installs both with apt-get, without sudo', async () => {
    const on = machine({ apt: 'works', sudo: 'passwordless' });
    const run = await checkPrerequisites(on);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^npm test: installing redis-server chromium with apt-get \(.*\)…\n$/);
    expect(on.calls()).toEqual([
      'apt-get update -qq (DEBIAN_FRONTEND=noninteractive)',
      'apt-get install -y -qq redis-server chromium (DEBIAN_FRONTEND=noninteractive)',
    ]);
  });

  test('when apt-get fails it stops with its message and one line of its own', async () => {
    const on = machine({ apt: 'fails', sudo: 'passwordless' });
    const run = await checkPrerequisites(on, NOBODY);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'E: Unable to locate package\nnpm test: apt-get could not install redis-server chromium (its message is above); install them, then run it again.\n',
    );
  });

  test('when apt-get succeeds but the tests would still not find them, it stops with one line saying which', async () => {
    const on = machine({ apt: 'succeeds elsewhere', sudo: 'passwordless' });
    const run = await checkPrerequisites(on, NOBODY);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `npm test: after apt-get install, still missing: redis-server (on PATH) and chromium (at ${on.chromium}).\n`,
    );
  });
});
