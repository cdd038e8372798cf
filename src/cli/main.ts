#!/usr/bin/env node
// The `web-background-jobs` command (`npx web-background-jobs init`). Exit codes: 0 done, 1 refused or failed,
// 2 a command line it does not understand. Every failure is one line on stderr, never a stack: the user made a
// slip or a file is in the way, and a stack would bury the sentence that says which.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArguments, USAGE } from './commandLine';
import { init } from './init';
import { initReport, refusal } from './report';

function main(args: readonly string[]): number {
  const invocation = parseArguments(args);
  switch (invocation.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    case 'usage error':
      return fail(invocation.message, 2);
  }
  const outcome = init(invocation.folder, invocation.force);
  if (!outcome.done) return fail(refusal(outcome.existing), 1);
  process.stdout.write(initReport(outcome, invocation.folder));
  return 0;
}

function packageVersion(): string {
  // dist/cli/ is two folders below the package root.
  const file = path.join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function fail(problem: string, exitCode: number): number {
  process.stderr.write(`web-background-jobs: ${problem}\n`);
  return exitCode;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // A file that cannot be read or written (EACCES, ENOTDIR…): Node's message names it and the reason.
  process.exitCode = fail(error instanceof Error ? error.message : String(error), 1);
}
