import type { Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import {
  type BackgroundJob,
  backgroundJobsDashboard,
  BackgroundJobState,
  type BackgroundJobsManager,
  type Isolation,
} from 'web-background-jobs';
import { appWithJobs, describeEachIsolation, listen, onRedis } from '../helpers';
import { check, expectCoded, safeInspect, timeoutFor } from './fuzz';
import { build, EDGES, FUZZ_HANDLERS, type Recipe, recipe } from './recipes';

// Parameters come from requests and results from handlers: whatever they hold, execute either refuses them with a
// coded error or runs a job that ends, and the job can always be sent as JSON (res.json(job), the dashboard).

/** How long a job of these handlers may take to end, generous for a loaded machine (they return at once). */
const END_BOUND_SECONDS = 10;

interface Target {
  manager: BackgroundJobsManager;
  server: Server;
}

/** The app with the dashboard at /jobs on the fuzz handlers, served on a loopback port until the test ends. */
async function target(isolation: Isolation): Promise<Target & { close: () => Promise<void> }> {
  const { app, manager } = appWithJobs({ handlers: FUZZ_HANDLERS, isolation });
  app.use('/jobs', backgroundJobsDashboard());
  const server = await listen(app);
  return { manager, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Executes with `start`: a refusal must be a coded error; a job must end within the bound, and then serialize
 * with toJSON() and JSON.stringify (as found again too) and in the dashboard's details and list.
 */
async function executesCleanly(
  { manager, server }: Target,
  start: () => Promise<BackgroundJob>,
): Promise<void> {
  let job: BackgroundJob;
  try {
    job = await start();
  } catch (error) {
    expectCoded(error);
    return;
  }
  const ended = await manager.waitForExecutionCompletion([job], END_BOUND_SECONDS);
  if (ended.length !== 1 || job.state === BackgroundJobState.Active) {
    throw new Error(`Job ${job.uuid} is still Active after ${END_BOUND_SECONDS} s`);
  }
  expect(() => job.toJSON()).not.toThrow();
  expect(() => JSON.stringify(job)).not.toThrow();
  // The store's own copy too (on Redis, rebuilt from its record).
  const found = await manager.findByUUID(job.uuid);
  expect(() => JSON.stringify(found)).not.toThrow();
  const details = await request(server).get(`/jobs/api/jobs/${job.uuid}`);
  expect({ status: details.status, body: details.body }).toMatchObject({
    status: 200,
    body: { uuid: job.uuid, state: job.state },
  });
  await request(server).get('/jobs/api/jobs').expect(200);
}

/** Parameters: a list of built values, or any built value in place of the list itself. */
interface Params {
  recipes: Recipe[];
  asList: boolean;
}
const params: fc.Arbitrary<Params> = fc.oneof(
  { weight: 4, arbitrary: fc.array(recipe, { maxLength: 3 }).map((recipes) => ({ recipes, asList: true })) },
  { weight: 1, arbitrary: recipe.map((one) => ({ recipes: [one], asList: false })) },
);

function paramsOf({ recipes, asList }: Params): unknown[] {
  return asList ? recipes.map(build) : (build(recipes[0]) as unknown[]);
}

/** Runs of each property: fewer where each job costs a worker thread or Redis round trips. */
const RUNS = { inline: 80, thread: 40, redis: 25 };

describeEachIsolation('fuzzing parameters and results', (isolation) => {
  /** Checks `propertyOn(app)` on a fresh app of this block's isolation and store, closed afterwards. */
  async function checkOnApp<T>(
    propertyOn: (app: Target) => fc.IAsyncProperty<T>,
    examples: T[],
  ): Promise<void> {
    const app = await target(isolation);
    try {
      await check(propertyOn(app), RUNS[onRedis() ? 'redis' : isolation], examples);
    } finally {
      await app.close();
    }
  }

  test(
    'execute with any parameters rejects with a coded error or runs a job that ends and serializes',
    () =>
      checkOnApp(
        (app) =>
          fc.asyncProperty(params, async (given) => {
            const values = paramsOf(given);
            await executesCleanly(app, () => app.manager.execute('Values.Echo', values)).catch((error) => {
              throw new Error(`${String(error)}\nparams: ${safeInspect(values)}`, { cause: error });
            });
          }),
        EDGES.flatMap((edge): [Params][] => [
          [{ recipes: [edge], asList: true }],
          [{ recipes: [edge], asList: false }],
        ]),
      ),
    timeoutFor(RUNS.inline),
  );

  test(
    'a handler returning any value ends its job, and the job serializes',
    () =>
      checkOnApp(
        (app) =>
          fc.asyncProperty(recipe, (result) =>
            executesCleanly(app, () => app.manager.execute('Values.Build', [result])),
          ),
        EDGES.map((edge): [Recipe] => [edge]),
      ),
    timeoutFor(RUNS.inline),
  );
});
