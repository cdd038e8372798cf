import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/** What loading one web.config came to in the loading process: a manager, an error, or the process's end. */
export type LoadOutcome = { ok: true } | { ok: false; coded: boolean; code?: string; error: string };

/** Heap of the loading process: ample for any sane web.config, and quickly exhausted by an unbounded one. */
const LOADER_HEAP_MB = 128;
/** How long one web.config may take to load before it counts as a hang, generous for a loaded machine. */
const LOAD_BOUND_MS = 15_000;

/**
 * Loads each web.config in a child process (fixtures/fuzz/loadConfig.js) with a capped heap and a time bound, so a
 * file that exhausts memory, aborts V8 (an array past its maximum length) or loads forever fails the property
 * instead of killing the test runner; the process is replaced after it dies.
 */
export class ConfigLoader {
  #child: ChildProcess | undefined;

  load(file: string): Promise<LoadOutcome> {
    const child = (this.#child ??= fork(path.join(__dirname, '..', 'fixtures', 'fuzz', 'loadConfig.js'), {
      execArgv: [`--max-old-space-size=${LOADER_HEAP_MB}`],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    }));
    return new Promise((resolve) => {
      const finish = (outcome: LoadOutcome, dead: boolean): void => {
        clearTimeout(timer);
        child.off('message', answered).off('error', crashed).off('exit', exited);
        if (dead) {
          this.#child = undefined;
          child.kill('SIGKILL');
        }
        resolve(outcome);
      };
      const failure = (error: string): LoadOutcome => ({ ok: false, coded: false, error });
      const answered = (outcome: unknown) => finish(outcome as LoadOutcome, false);
      const crashed = (error: Error) => finish(failure(`the loading process failed: ${String(error)}`), true);
      const exited = (code: number | null, signal: string | null) =>
        finish(failure(`the loading process died (exit code ${code}, signal ${signal})`), true);
      const timer = setTimeout(
        () => finish(failure(`no answer within ${LOAD_BOUND_MS} ms (a hang)`), true),
        LOAD_BOUND_MS,
      );
      child.on('message', answered).on('error', crashed).on('exit', exited);
      child.send(file);
    });
  }

  close(): void {
    this.#child?.kill();
  }
}
