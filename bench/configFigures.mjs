// Start-up on a large web.config: how long `new BackgroundJobsManager()` takes to read and check a file of 20,000
// appSettings keys, and one of 2,000 scheduled jobs (and until those are armed), against xml2js parsing the same
// text alone (and, for the scheduled jobs, croner parsing their expressions and finding each next run), in the
// same run. Start-up is linear in the file; before, 20,000 keys took 44-95 s.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';
import { parseStringPromise } from 'xml2js';
import { BackgroundJobsManager } from 'web-background-jobs';

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

/** Median and worst of `LOADS` samples, in milliseconds, taken one after another. */
async function timings(sample) {
  const samples = [];
  for (let index = 0; index < LOADS; index += 1) samples.push(await sample());
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p99: samples[samples.length - 1] };
}

/** Milliseconds `work` takes. */
async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Figures for bench/run.mjs, as redisFigures gives them, and `close()` to remove the files. */
export function configFigures({ handlers, logger }) {
  const folder = mkdtempSync(path.join(tmpdir(), 'wbj-bench-config-'));
  const write = (name, text) => {
    const file = path.join(folder, name);
    writeFileSync(file, text);
    return file;
  };
  const keys = write(
    'keys.config',
    webConfig(
      Array.from(
        { length: KEYS },
        (_, index) => `    <add key="App.Setting${index}" value="value ${index}" />`,
      ),
      [],
    ),
  );
  const crons = Array.from({ length: SCHEDULED }, (_, index) => `${index % 60} ${index % 24} * * *`);
  const scheduled = write(
    'scheduled.config',
    webConfig(
      [],
      crons.map((cron, index) => `    <add name="Job${index}" method="Bench.Noop" cron="${cron}" />`),
    ),
  );
  /** Milliseconds from `new BackgroundJobsManager()` to its return, or to `scheduledJobs.ready` (all armed). */
  const startUp = (config, armed) =>
    timings(async () => {
      const started = performance.now();
      const manager = new BackgroundJobsManager({ config, handlers, logger, isolation: 'inline' });
      if (armed) await manager.scheduledJobs.ready;
      const elapsed = performance.now() - started;
      await manager.close();
      return elapsed;
    });
  const parse = (file) => parseStringPromise(readFileSync(file, 'utf8'), XML_OPTIONS);
  const parseAndSchedule = () =>
    timings(() =>
      timed(async () => {
        await parse(scheduled);
        for (const cron of crons) new Cron(cron, { paused: true }).nextRun();
      }),
    );
  const figures = {
    configKeys: { anchor: () => timings(() => timed(() => parse(keys))), ours: () => startUp(keys, false) },
    configSchedules: { anchor: parseAndSchedule, ours: () => startUp(scheduled, false) },
    configSchedulesArmed: { anchor: parseAndSchedule, ours: () => startUp(scheduled, true) },
  };
  const rows = [
    [
      `config: start-up on ${KEYS.toLocaleString('en')} appSettings keys, median (ms)`,
      'xml2js parse',
      'configKeys',
      (x) => x.median,
    ],
    [
      `config: start-up on ${SCHEDULED.toLocaleString('en')} scheduled jobs, median (ms)`,
      'xml2js parse + croner',
      'configSchedules',
      (x) => x.median,
    ],
    [
      `config: the same until scheduledJobs.ready, every schedule armed, median (ms)`,
      'xml2js parse + croner',
      'configSchedulesArmed',
      (x) => x.median,
    ],
  ];
  return { figures, rows, close: () => rmSync(folder, { recursive: true, force: true }) };
}
