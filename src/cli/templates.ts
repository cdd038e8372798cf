import type { ModuleKind } from './moduleKind';

// What init writes and prints. The example job's name, route and dashboard path appear in both the handler's
// comment and the printed lines: one place each, so they cannot disagree.
export const EXAMPLE_MODULE = 'Example';
export const EXAMPLE_METHOD = `${EXAMPLE_MODULE}.Run`;
export const EXAMPLE_ROUTE = '/example-job';
export const DASHBOARD_PATH = '/background-jobs';

/** The example handler module: progress while it works, a message, and a result, as ES module or CommonJS. */
export function exampleHandler({ esm }: ModuleKind): string {
  const imports = esm
    ? "import { message, progress } from 'web-background-jobs';"
    : "const { message, progress } = require('web-background-jobs');";
  return `${imports}

/**
 * An example background job, ${EXAMPLE_METHOD}: start it with
 *   await req.backgroundJobs.execute('${EXAMPLE_METHOD}', ['world'])
 * Every exported function of a module in this folder is a job method ("Module.Method"), called with the
 * parameters given to execute. It runs in a worker thread (web.config: jobsIsolation), so however long it
 * works it never holds up your app's requests. Its progress and messages show in the dashboard while it
 * runs; what it returns becomes job.result.
 */
${esm ? 'export ' : ''}async function Run(name = 'world') {
  const steps = 5;
  for (let step = 1; step <= steps; step += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200)); // stands for a slice of real work
    progress((step / steps) * 100, \`step \${step} of \${steps}\`);
  }
  message(\`Hello, \${name}!\`);
  return { greeting: \`Hello, \${name}!\`, steps };
}
${esm ? '' : '\nmodule.exports = { Run };\n'}`;
}

/** The lines to add to an Express app: the import, the middleware, a route starting the example, the dashboard. */
export function appLines({ esm }: ModuleKind): string[] {
  return [
    esm
      ? "import backgroundJobs, { backgroundJobsDashboard } from 'web-background-jobs';"
      : "const { backgroundJobs, backgroundJobsDashboard } = require('web-background-jobs');",
    'app.use(backgroundJobs());',
    `app.post('${EXAMPLE_ROUTE}', async (req, res) => res.status(202).json(await req.backgroundJobs.execute('${EXAMPLE_METHOD}', ['world'])));`,
    `app.use('${DASHBOARD_PATH}', backgroundJobsDashboard());`,
  ];
}
