// Start-up on a large web.config: how long `new BackgroundJobsManager()` takes to read and check a file of 20,000
// appSettings keys, and one of 2,000 scheduled jobs (and until those are armed), against xml2js parsing the same
// text alone (and, for the scheduled jobs, croner parsing their expressions and finding each next run), in the
// same run; the median of 5 starts. Start-up is linear in the file; before, 20,000 keys took 44-95 s. The
// scheduled-jobs section reuses the file and the anchor for 10,000 schedules.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';
import { parseStringPromise } from 'xml2js';
import { BackgroundJobsManager } from 'web-background-jobs';
import { best, handlers, lower, percentiles, row, silent, timed } from './measure.mjs';

const KEYS = Number(process.env.BENCH_CONFIG_KEYS ?? 20_000);
const SCHEDULED = Number(process.env.BENCH_CONFIG_JOBS ?? 2000);
const LOADS = 5;
const XML_OPTIONS = { explicitChildren: true, preserveChildrenOrder: true, explicitRoot: false };

/** A web.config that attaches the library, with these lines in `<appSettings>` and in `<scheduledJobs>`. */
function webConfig(appSettings, scheduledJobs) {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<configuration>',
    '  <appSettings>',
    '    <add key="WebBackgroundJobs" value="attachAssembly" />',
    ...appSettings,
    '  </appSettings>',
    '  <scheduledJobs>',
    ...scheduledJobs,
    '  </scheduledJobs>',
    '</configuration>',
  ].join('\n');
}

/**
 * Yearly cron schedules, all different (up to 40,320), each due on a minute of January: none comes due while a run
 * outside January measures, where it would add its runs to the figures.
 */
export const crons = (count) =>
  Array.from(
    { length: count },
    (_, index) => `${index % 60} ${Math.floor(index / 60) % 24} ${1 + (Math.floor(index / 1440) % 28)} 1 *`,
  );

/** Writes a web.config declaring `count` scheduled jobs of Bench.Noop (plus `more` lines), and returns its path. */
export function scheduledConfig(file, count, more = []) {
  const lines = crons(count).map(
    (cron, index) => `    <add name="Job${index}" method="Bench.Noop" cron="${cron}" />`,
  );
  writeFileSync(file, webConfig([], [...lines, ...more]));
  return file;
}

/** Milliseconds for xml2js to parse `file`, then croner to parse `count` crons and find each one's next run. */
export const parseAndSchedule = (file, count) =>
  timed(async () => {
    await parseStringPromise(readFileSync(file, 'utf8'), XML_OPTIONS);
    for (const cron of crons(count)) new Cron(cron, { paused: true }).nextRun();
  });

/**
 * Milliseconds from `new BackgroundJobsManager(options)` to its return, or with `armed` to `scheduledJobs.ready`
 * (every schedule armed); the manager is closed after.
 */
export async function startUp(options, armed) {
  const started = performance.now();
  const manager = new BackgroundJobsManager({ handlers, logger: silent, ...options });
  if (armed) await manager.scheduledJobs.ready;
  const elapsed = performance.now() - started;
  await manager.close();
  return elapsed;
}

/** Rows of the start-up section. */
export async function configFigures() {
  const folder = mkdtempSync(path.join(tmpdir(), 'wbj-bench-config-'));
  const keys = path.join(folder, 'keys.config');
  const appSettings = Array.from(
    { length: KEYS },
    (_, index) => `    <add key="App.Setting${index}" value="value ${index}" />`,
  );
  writeFileSync(keys, webConfig(appSettings, []));
  const scheduled = scheduledConfig(path.join(folder, 'scheduled.config'), SCHEDULED);
  const loads = (measure) => () => percentiles(LOADS, measure);
  const inline = (file) => ({ config: file, isolation: 'inline' });
  const start = await best(
    {
      parse: loads(() => timed(() => parseStringPromise(readFileSync(keys, 'utf8'), XML_OPTIONS))),
      keys: loads(() => startUp(inline(keys), false)),
      parseAndSchedule: loads(() => parseAndSchedule(scheduled, SCHEDULED)),
      schedules: loads(() => startUp(inline(scheduled), false)),
      armed: loads(() => startUp(inline(scheduled), true)),
    },
    lower,
  );
  rmSync(folder, { recursive: true, force: true });
  const jobs = `${SCHEDULED.toLocaleString('en')} scheduled jobs`;
  return [
    row(
      `config: start-up on ${KEYS.toLocaleString('en')} appSettings keys, median (ms)`,
      start.keys.median,
      'xml2js parse',
      start.parse.median,
    ),
    row(
      `config: start-up on ${jobs}, median (ms)`,
      start.schedules.median,
      'xml2js parse + croner',
      start.parseAndSchedule.median,
    ),
    row(
      'config: the same until `scheduledJobs.ready`, every schedule armed, median (ms)',
      start.armed.median,
      'xml2js parse + croner',
      start.parseAndSchedule.median,
    ),
  ];
}
