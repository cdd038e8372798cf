// Run by `npm test` (and .ci/run) before anything else: the Redis tests spawn `redis-server` from PATH and the
// browser tests drive Chromium at CHROMIUM_PATH or /usr/bin/chromium (test/redisServer.ts, test/browser/chromium.ts),
// and the README's "Try it" lines are run with curl (test/examples/tryIt.test.ts).
// Without them, Jest would spend minutes timing out in a hundred tests; instead this installs them with apt-get when
// it may (root, or passwordless sudo), or stops at once with one line saying what is missing and how to install it.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The Debian packages the tests need and are missing here, each with where the tests look for it. */
function missingPackages() {
  const missing = [];
  if (findOnPath('redis-server') === undefined) missing.push({ name: 'redis-server', where: 'on PATH' });
  if (!isExecutable(chromiumPath)) missing.push({ name: 'chromium', where: `at ${chromiumPath}` });
  if (findOnPath('curl') === undefined) missing.push({ name: 'curl', where: 'on PATH' });
  return missing;
}

/** "a", "a and b", "a, b and c". */
function listed(names) {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join('');
}

function findOnPath(command) {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((folder) => folder !== '')
    .map((folder) => path.join(folder, command))
    .find(isExecutable);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false; // absent or not executable: either way the tests could not run it
  }
}

/** Runs a command to its end; a few seconds at most for the probes, apt-get as long as it takes. */
function run(command, args, options = {}) {
  return spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options }).status === 0;
}

function stop(line) {
  console.error(line);
  process.exit(1);
}

const missing = missingPackages();
if (missing.length > 0) {
  const names = missing.map(({ name }) => name).join(' ');
  const what = listed(missing.map(({ name, where }) => `${name} (${where})`));
  const needs = `the tests need ${what}, missing here`;
  if (findOnPath('apt-get') === undefined)
    stop(
      `npm test: ${needs}; install them with your package manager (the tests use Debian's ${names}), then run it again.`,
    );
  // Root installs directly; otherwise sudo, only if it asks no password (-n): a prompt would hang `npm test`.
  const aptGet = process.getuid?.() === 0 ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  if (aptGet[0] === 'sudo' && findOnPath('sudo') === undefined)
    stop(`npm test: ${needs}; install them as root with: apt-get install -y ${names}`);
  if (aptGet[0] === 'sudo' && !run('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5000 }))
    stop(`npm test: ${needs}; install them with: sudo apt-get install -y ${names}`);
  console.log(`npm test: installing ${names} with ${aptGet.join(' ')} (${needs})…`);
  const apt = (...args) =>
    run(aptGet[0], [...aptGet.slice(1), ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  if (!apt('update', '-qq') || !apt('install', '-y', '-qq', ...missing.map(({ name }) => name)))
    stop(
      `npm test: apt-get could not install ${names} (its message is above); install them, then run it again.`,
    );
  const still = missingPackages();
  if (still.length > 0)
    stop(
      `npm test: after apt-get install, still missing: ${listed(still.map(({ name, where }) => `${name} (${where})`))}.`,
    );
}
