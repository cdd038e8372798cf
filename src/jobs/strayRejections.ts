import { types } from 'node:util';

/**
 * How a library copy claims a rejection: the job it fails, when the rejected promise belongs to one of its running
 * jobs; else `undefined`.
 */
export type RejectionClaim = () => ((reason: unknown) => void) | undefined;

/** What every copy of this library in the thread shares: one listener, and each copy's claim. */
interface Watch {
  readonly claims: Set<RejectionClaim>;
  /** Puts the listener back in place before a job starts (see {@link watchStrayRejections}). */
  readonly arm: () => void;
}

/**
 * The key of the thread's {@link Watch}: two copies of the package (two versions installed side by side) share one
 * listener, since each would count the other's as the application's and leave rejections unreported.
 */
const WATCH = Symbol.for('web-background-jobs.strayRejections');

/**
 * How many times the listener is moved back first within one step of the application (until the event loop's next
 * check phase) before it stops competing: more than a step adding a few listeners needs, few enough not to be seen.
 */
const MOVES_PER_STEP = 10;

type Mode = 'throw' | 'strict' | 'warn' | 'none' | 'warn-with-error-code';
const MODES: readonly string[] = ['throw', 'strict', 'warn', 'none', 'warn-with-error-code'];

/**
 * Node's `--unhandled-rejections` mode, read as Node reads it: NODE_OPTIONS (as the thread started), then the
 * thread's own command-line flags, the last one winning. A worker thread inherits both unless given its own.
 */
const mode = modeOf([...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv]);

function modeOf(args: readonly string[]): Mode {
  let found: string | undefined;
  args.forEach((arg, index) => {
    const match = /^"?--unhandled[-_]rejections(?:=(.*?))?"?$/.exec(arg);
    if (match) found = match[1] ?? args[index + 1]?.replace(/^"|"$/g, '');
  });
  return found !== undefined && MODES.includes(found) ? (found as Mode) : 'throw';
}

/**
 * Node emits 'unhandledRejection' in the async context of the rejected promise, so a rejection a handler left
 * behind can fail that job instead of the process: `claim` says whose job it was. Called as each job starts.
 *
 * Every other rejection must meet exactly what Node does without this listener, in every mode; but Node treats a
 * rejection as handled as soon as any listener exists. So, when this one is alone, it does what Node would have
 * done: in `throw` mode it hands the rejection back to Node (see {@link startWatching}); in `strict` (reached only
 * when an 'uncaughtException' listener kept the process alive) and `warn-with-error-code` modes it emits Node's
 * warning, and the latter sets the exit code; `warn` and `none` need nothing. When the application has a listener
 * of its own, Node would leave the rejection to it, and so does this one.
 */
export function watchStrayRejections(claim: RejectionClaim): void {
  const shared = globalThis as { [WATCH]?: Watch };
  const watch = (shared[WATCH] ??= startWatching());
  watch.claims.add(claim);
  watch.arm();
}

function startWatching(): Watch {
  const claims = new Set<RejectionClaim>();
  /** Set from a rejection handed back to Node until Node has raised it. */
  let handingBack = false;
  /** Set while the process is about to die of a handed-back rejection: Node would not reach the later ones. */
  let dying = false;
  /**
   * Whether the listener is known to be first: set by keepFirst, cleared whenever a listener of 'unhandledRejection'
   * is added or removed, or a watcher of those changes taken away, so that a job's start reads the list (a copy each
   * time) only after it may have changed.
   */
  let first = false;
  /** Moves of the listener back first since the application's current step began (see keepFirst). */
  let moves = 0;
  /** Set for good once another listener kept itself first against this one (see keepFirst). */
  let yielded = false;

  const listener = (reason: unknown): void => {
    if (dying) return;
    for (const claim of claims) {
      const fail = claim();
      if (fail !== undefined) return fail(reason);
    }
    // The listener stays first (see keepFirst, and its limit), so the count is the one Node's emit started with.
    if (process.listenerCount('unhandledRejection') > 1) return;
    if (mode === 'throw') handBack(reason);
    else if (mode === 'strict' || mode === 'warn-with-error-code') {
      warnUnhandled(reason);
      if (mode === 'warn-with-error-code') process.exitCode = 1;
    }
  };

  /**
   * Node would now raise the rejection as an uncaught exception, and only Node does it exactly (its output, the
   * `unhandledRejection` origin given to 'uncaughtException' listeners, its exit). So the same reason is rejected
   * again, and this listener steps aside after the current batch of rejections, until Node has raised it.
   */
  const handBack = (reason: unknown): void => {
    if (process.listenerCount('uncaughtException') === 0 && !process.hasUncaughtExceptionCaptureCallback()) {
      dying = true;
    }
    if (!handingBack) {
      handingBack = true;
      process.nextTick(() => {
        if (handingBack) process.removeListener('unhandledRejection', listener);
      });
      process.prependOnceListener('uncaughtExceptionMonitor', arm);
    }
    void Promise.reject(reason);
  };

  /** Before each job, and once Node has raised a handed-back rejection: listening again, and first. */
  const arm = (): void => {
    handingBack = false;
    dying = false;
    if (!first) keepFirst(true);
  };

  /**
   * An application listener that runs before this one could remove itself (a `once` listener) and make the count
   * lie; so this listener is moved first whenever another is added. `add`: put it back if it was taken away.
   *
   * Another library may keep its own listener first the same way (moving it back on the next tick): the two would
   * move each other first forever within one step, and no timer or I/O would run again. So after
   * {@link MOVES_PER_STEP} moves before the step ends, this listener stops competing for good and stays where it is
   * (put back last if taken away). It still fails its jobs' rejections; but the other listener hears them first,
   * and the count may lie if a `once` listener ahead of it removes itself (docs/ARCHITECTURE.md).
   */
  const keepFirst = (add: boolean): void => {
    watchChanges(); // taken away (see removed): they come back, before the moves below, so that they hear them
    const listeners = process.rawListeners('unhandledRejection');
    if (yielded) {
      if (add && !listeners.includes(listener)) process.on('unhandledRejection', listener);
    } else if (listeners[0] !== listener) {
      const present = listeners.includes(listener);
      if (!add && !present) return; // taken away: the next job's start puts it back
      // Only a move past another listener put ahead counts: putting back this one, taken away (a rejection handed
      // back to Node steps it aside), competes with no one.
      if (present && moves++ === 0) setImmediate(() => (moves = 0)).unref();
      if (moves > MOVES_PER_STEP) {
        yielded = true;
        return keepFirst(add);
      }
      process.removeListener('unhandledRejection', listener);
      process.prependListener('unhandledRejection', listener);
    }
    first = true; // after the moves: the watchers heard them
  };
  const added = (event: string | symbol): void => {
    if (event !== 'unhandledRejection') return;
    first = false;
    process.nextTick(keepFirst, false);
  };
  /**
   * The watchers can be taken away on their own (removeAllListeners('newListener' or 'removeListener')), and a change
   * made then goes unheard: so the removal of one is heard by another, and they are all put back once the
   * application's current step is done, with this listener first. Node tells a removal only to the 'removeListener'
   * listeners left (removeAllListeners takes the last added first), never that of the last one: hence two of them.
   */
  const removed = (event: string | symbol, taken: unknown): void => {
    if (event === 'unhandledRejection') first = false;
    else if (taken === added || taken === removedToo) rewatch();
  };
  const removedToo = (_event: string | symbol, taken: unknown): void => {
    if (taken === removed) rewatch();
  };
  const rewatch = (): void => {
    first = false;
    process.nextTick(keepFirst, false);
  };
  const watchChanges = (): void => {
    if (process.listenerCount('newListener', added) === 0) process.on('newListener', added);
    if (process.listenerCount('removeListener', removed) === 0) process.on('removeListener', removed);
    if (process.listenerCount('removeListener', removedToo) === 0) process.on('removeListener', removedToo);
  };
  watchChanges();
  return { claims, arm };
}

/**
 * Node's warning for a rejection nobody handled, step by step as lib/internal/process/promises.js gives it: the
 * reason, then the advice. Node numbers rejections internally; that number is not public, so it reads "unknown".
 */
function warnUnhandled(reason: unknown): void {
  const name = 'UnhandledPromiseRejectionWarning';
  const advice = new Error(
    'Unhandled promise rejection. This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). To terminate the node process on unhandled promise rejection, use the CLI flag `--unhandled-rejections=strict` (see https://nodejs.org/api/cli.html#cli_unhandled_rejections_mode). (rejection id: unknown)',
  );
  advice.name = name;
  advice.stack = `${name}: ${advice.message}`;
  try {
    if (typeof reason === 'object' && reason !== null && Object.hasOwn(reason, 'stack')) {
      const { stack } = reason as { stack: string };
      advice.stack = stack;
      process.emitWarning(stack, name);
    } else {
      process.emitWarning(plainText(reason), name);
    }
  } catch {
    try {
      process.emitWarning(plainText(reason), name);
    } catch {
      // As Node: the advice below still says that a rejection went unhandled.
    }
  }
  process.emitWarning(advice);
}

/**
 * The reason as V8 prints it without running its code (Node's `noSideEffectsToString`): V8 formats the left operand
 * of a failed `in` that way, before any conversion, so its message carries exactly that text.
 */
function plainText(reason: unknown): string {
  try {
    (reason as string) in (1 as unknown as object);
  } catch (error) {
    const text = /^Cannot use 'in' operator to search for '([\s\S]*)' in 1$/.exec(
      (error as Error).message,
    )?.[1];
    if (text !== undefined) return text;
  }
  return types.isProxy(reason)
    ? '#<Object>'
    : typeof reason === 'object'
      ? '[object Object]'
      : String(reason);
}
