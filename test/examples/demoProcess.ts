import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers';

/** The demo as `npm start` runs it, in a Node process of its own on a free port. */
export interface DemoProcess {
  readonly process: ChildProcess;
  /** `http://127.0.0.1:<port>`, as the demo printed it. */
  readonly url: string;
  /** SIGTERM, then the demo's exit (at once if it has exited already). */
  stop(): Promise<void>;
}

/** Starts examples/server.mjs, writing the seed example's files under `output`; resolves once it listens. */
export async function startDemo(output: string): Promise<DemoProcess> {
  const demo = spawn(process.execPath, [path.join(ROOT, 'examples', 'server.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', WBJ_DEMO_OUTPUT: output },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let printed = '';
    demo.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const match = /listening on (http:\/\/\S+)\njobs dashboard: \1\/dashboard\//.exec(printed);
      if (match) resolve(match[1]);
    });
    demo.once('exit', (code) => reject(new Error(`The demo exited with ${code} before listening`)));
  });
  return {
    process: demo,
    url,
    async stop() {
      if (demo.exitCode !== null || demo.signalCode !== null) return;
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      demo.kill('SIGTERM');
      await exited;
    },
  };
}
