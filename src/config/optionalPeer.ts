import { BackgroundJobsError, messageOf } from '../errors';

/** An optional peer dependency the application may not have installed, and what needs it. */
export interface OptionalPeer {
  /** The package's name, as `require` takes it. */
  readonly name: string;
  /** What needs it, as the start of a sentence: "jobsStore is the Redis store redis://…, which runs on bullmq". */
  readonly neededBy: string;
  /** The command that installs it, and the peers installed with it. */
  readonly install: string;
}

/**
 * The optional peer dependency `peer`, or `undefined` when the application has not installed it: the caller says what
 * that means for the feature that needs it.
 * @throws BackgroundJobsError `WBJ_CONFIG` when the package is installed but fails to load (a module of its own
 * missing, say): its own error is named, not "not installed".
 */
export function loadOptionalPeer<Module>(peer: OptionalPeer): Module | undefined {
  try {
    return require(peer.name) as Module;
  } catch (error) {
    if (isNotFound(error, peer.name)) return undefined;
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `${peer.neededBy}; ${peer.name} is installed but failed to load: ${messageOf(error).split('\n')[0]}. ` +
        `Reinstall it in the application: ${peer.install}`,
      { cause: error },
    );
  }
}

/** Whether `error` says that `name` itself cannot be found, not a module `name` requires in turn. */
function isNotFound(error: unknown, name: string): boolean {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'MODULE_NOT_FOUND') return false;
  // Node: "Cannot find module 'bullmq'\nRequire stack: …"; Jest: "Cannot find module 'bullmq' from '…'".
  return /^Cannot find module '([^']*)'/.exec(messageOf(error))?.[1] === name;
}
