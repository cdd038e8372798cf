import { typoHint } from '../didYouMean';

/** What the command line asks for, or what is wrong with it (exit code 2). */
export type Invocation =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'init'; readonly folder: string; readonly force: boolean }
  | { readonly kind: 'usage error'; readonly message: string };

export const USAGE = `Usage: web-background-jobs init [folder] [--force]

Commands:
  init [folder]  Writes web.config (every setting at its default) and handlers/ with an example
                 job into folder (default: the current folder, created if missing), then prints
                 the lines to add to your Express app. Files that exist are left alone.

Options:
  --force        Replace web.config and the example handler if they exist
  --help, -h     Show this help
  --version      Show the version of web-background-jobs
`;

const COMMANDS = ['init'];
const OPTIONS = { '--force': 'force', '--help': 'help', '-h': 'help', '--version': 'version' } as const;

/** Reads the arguments after the program's name: options anywhere, then a command and its folder. */
export function parseArguments(args: readonly string[]): Invocation {
  const given = new Set<string>();
  const positionals: string[] = [];
  for (const arg of args) {
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
    } else if (Object.hasOwn(OPTIONS, arg)) {
      given.add(OPTIONS[arg as keyof typeof OPTIONS]);
    } else {
      return usageError(`unknown option ${arg}${typoHint(arg, Object.keys(OPTIONS))}`);
    }
  }
  if (given.has('help')) return { kind: 'help' };
  if (given.has('version')) return { kind: 'version' };
  const [command, folder = '.', ...extra] = positionals;
  if (command === undefined) return usageError('no command given (the one command is init)');
  if (!COMMANDS.includes(command)) {
    return usageError(`unknown command ${JSON.stringify(command)}${typoHint(command, COMMANDS)}`);
  }
  if (extra.length > 0) {
    return usageError(
      `init takes one folder, got ${[folder, ...extra].map((f) => JSON.stringify(f)).join(' and ')}`,
    );
  }
  return { kind: 'init', folder, force: given.has('force') };
}

function usageError(problem: string): Invocation {
  return { kind: 'usage error', message: `${problem}; see web-background-jobs --help` };
}
