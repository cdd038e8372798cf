// `npm run bench`: the library's cost per job, each figure beside an anchor measured in the same run (what a user
// would pick instead, or the target) with the ratio, the target and whether it is met; best of 3 rounds.
// Prints a Markdown table for docs/benchmark.md on stdout, progress on stderr. `BENCH_ONLY=inline,thread` runs a
// subset of the sections below.
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { configFigures } from './configFigures.mjs';
import { eventsFigures } from './eventsFigures.mjs';
import { httpFigures } from './httpFigures.mjs';
import { inlineFigures } from './inlineFigures.mjs';
import { metricsFigures } from './metricsFigures.mjs';
import { queuedFigures } from './queuedFigures.mjs';
import { readFigures } from './readFigures.mjs';
import { recheckFigures } from './recheckFigures.mjs';
import { redisFigures } from './redisFigures.mjs';
import { scheduleFigures } from './scheduleFigures.mjs';
import { sseFigures } from './sseFigures.mjs';
import { threadFigures } from './threadFigures.mjs';
import { ROUNDS } from './measure.mjs';

/** Each section resolves with its rows; they run one after another, in this order. */
const SECTIONS = {
  inline: inlineFigures,
  thread: threadFigures,
  redis: redisFigures,
  http: httpFigures,
  recheck: recheckFigures,
  queued: queuedFigures,
  schedules: scheduleFigures,
  config: configFigures,
  reads: readFigures,
  sse: sseFigures,
  events: eventsFigures,
  metrics: metricsFigures,
};

const only = process.env.BENCH_ONLY?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = only?.filter((name) => !(name in SECTIONS)) ?? [];
if (unknown.length > 0) {
  console.error(
    `BENCH_ONLY names unknown sections ${unknown.join(', ')}; expected some of ${Object.keys(SECTIONS).join(', ')}`,
  );
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') {
  console.error(
    'The benchmark measures heaps after a full collection: run it with node --expose-gc (npm run bench does)',
  );
  process.exit(2);
}

const redisVersion = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout?.match(
  /v=(\S+)/,
)?.[1];
const header = [
  `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus()[0].model}, ${availableParallelism()} cores,`,
  `Node ${process.version}, redis-server ${redisVersion ?? 'absent'}; load average ${loadavg()[0].toFixed(1)} at the start;`,
  `best of ${ROUNDS} rounds. Sections: ${(only ?? Object.keys(SECTIONS)).join(', ')}.`,
].join(' ');

const rows = [];
const started = performance.now();
for (const [name, section] of Object.entries(SECTIONS)) {
  if (only !== undefined && !only.includes(name)) continue;
  const sectionStarted = performance.now();
  console.error(`bench: ${name}…`);
  rows.push(...(await section()));
  console.error(`bench: ${name} took ${((performance.now() - sectionStarted) / 1000).toFixed(0)} s`);
}
console.error(`bench: ${((performance.now() - started) / 1000).toFixed(0)} s in all`);

/** A figure as the table shows it: whole above 100, else three significant digits at most. */
const shown = (value) =>
  value.toLocaleString('en', {
    maximumFractionDigits: Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2,
  });

console.log(`${header}\n`);
console.log('| figure | web-background-jobs | anchor | anchor figure | ratio | target | met |');
console.log('|---|---:|---|---:|---:|---|---|');
for (const { figure, ours, anchorName, anchor, target } of rows) {
  const met = target === undefined ? '' : target.met ? 'yes' : '**no**';
  const [anchorFigure, ratio] =
    anchor === undefined ? ['—', '—'] : [shown(anchor), (ours / anchor).toFixed(3)];
  console.log(
    `| ${figure} | ${shown(ours)} | ${anchorName} | ${anchorFigure} | ${ratio} | ${target?.text ?? ''} | ${met} |`,
  );
}
process.exit(0); // a pool or connection a section left behind must not keep the run alive
