import type { Registry } from 'prom-client';
import { BackgroundJobsError, checkArgument, describeValue } from '../../errors';
import { BackgroundJobsManager } from '../BackgroundJobsManager';
import { countJobEvents, JOB_METRIC_NAMES } from './jobMetrics';
import type { MetricsContext } from './metricsContext';
import { requiredPromClient } from './promClient';
import { readStateOnScrape, STATE_METRIC_NAMES } from './stateGauges';

/**
 * A prom-client `Registry`, as this package uses it: named by its shape, so that the typings of an application that
 * does not install prom-client (an optional peer dependency) do not name prom-client.
 */
export interface MetricsRegistry {
  /** The metrics in Prometheus' text format, as a scrape gets them. */
  metrics(): Promise<string>;
  /** The Content-Type of {@link MetricsRegistry.metrics}. */
  readonly contentType: string;
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
}

/** Options of {@link registerMetrics}. */
export interface MetricsOptions {
  /**
   * The prom-client registry the metrics go to.
   * @default prom-client's global registry, `register` (the one `collectDefaultMetrics()` fills)
   */
  registry?: MetricsRegistry;
  /**
   * What every metric's name starts with: a second manager of the process registers on the same registry with
   * another prefix.
   * @default 'wbj_'
   */
  prefix?: string;
}

const OPTION_NAMES: readonly string[] = ['registry', 'prefix'];
/** What a metric name may be (Prometheus' data model), the prefix being its start. */
const METRIC_NAME_START = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const DEFAULT_PREFIX = 'wbj_';
/** The names of the metrics, after the prefix: all are checked free before any is made. */
const METRIC_NAMES: readonly string[] = [...JOB_METRIC_NAMES, ...STATE_METRIC_NAMES];

/** The managers whose metrics each registry holds, by prefix: a registry holds a prefix's names once. */
const registered = new WeakMap<Registry, Map<string, BackgroundJobsManager>>();

/**
 * Exports `manager`'s jobs as Prometheus metrics on a prom-client registry (`wbj_jobs_total{method,state}`,
 * `wbj_job_run_seconds`…; docs/production.md lists them). Jobs are counted from now on; the gauges are read from the
 * manager at each scrape. Serve the registry with `backgroundJobsMetrics()`, or `await registry.metrics()`.
 * @returns the registry the metrics went to.
 * @throws BackgroundJobsError `WBJ_CONFIG` for a bad option, when prom-client is not installed, or when the registry
 *   already holds this prefix's metrics (registerMetrics called twice on it).
 */
export function registerMetrics(
  manager: BackgroundJobsManager,
  options: MetricsOptions = {},
): MetricsRegistry {
  const caller = 'registerMetrics(manager, options)';
  checkManager(caller, manager, 'the manager');
  const context = metricsContext(caller, options);
  register(manager, context);
  return context.registry;
}

/**
 * @internal The registry that holds `manager`'s metrics, registering them there first if it holds none yet (the
 * metrics handler's way: once, however many scrapes). Without a prefix given, metrics registered under any prefix
 * will do.
 * @throws BackgroundJobsError `WBJ_CONFIG` as {@link registerMetrics}.
 */
export function metricsOf(manager: BackgroundJobsManager, context: CheckedMetricsOptions): MetricsRegistry {
  const { registry, prefix, prefixGiven } = context;
  const holders = registered.get(registry);
  const held = prefixGiven
    ? holders?.get(prefix) === manager
    : [...(holders?.values() ?? [])].includes(manager);
  if (!held) register(manager, context);
  return registry;
}

/** @internal {@link MetricsOptions} checked, with their defaults, and prom-client. */
export interface CheckedMetricsOptions extends MetricsContext {
  readonly prefixGiven: boolean;
}

function register(manager: BackgroundJobsManager, context: MetricsContext): void {
  const { registry, prefix } = context;
  const holder = registered.get(registry)?.get(prefix);
  const taken = METRIC_NAMES.map((name) => prefix + name).find((name) => registry.getSingleMetric(name));
  if (taken !== undefined) {
    const by =
      holder === manager
        ? 'registerMetrics was called for this manager already'
        : holder !== undefined
          ? 'registerMetrics was called for another manager with this prefix'
          : 'the application registered a metric of that name';
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `registerMetrics(manager, options): the registry already holds a metric named ${taken} (${by}); ` +
        'register the metrics once a registry, or give a second manager another prefix or registry',
    );
  }
  countJobEvents(manager, context);
  readStateOnScrape(manager, context);
  registered.set(registry, (registered.get(registry) ?? new Map()).set(prefix, manager));
}

/**
 * @internal Refuses `manager` unless it is a {@link BackgroundJobsManager}.
 * @throws BackgroundJobsError `WBJ_CONFIG` naming `caller`, `what` and the value.
 */
export function checkManager(caller: string, manager: unknown, what: string): void {
  if (!(manager instanceof BackgroundJobsManager)) {
    throw new BackgroundJobsError(
      'WBJ_CONFIG',
      `${caller}: ${what} must be a BackgroundJobsManager, got ${describeValue(manager)}`,
    );
  }
}

/**
 * @internal `options` checked, with their defaults, and prom-client loaded.
 * @throws BackgroundJobsError `WBJ_CONFIG` naming `caller`, the option and its value; or when prom-client is not
 *   installed. `names` are the options `caller` takes.
 */
export function metricsContext(
  caller: string,
  options: MetricsOptions,
  names: readonly string[] = OPTION_NAMES,
): CheckedMetricsOptions {
  const fail = (message: string): never => {
    throw new BackgroundJobsError('WBJ_CONFIG', `${caller}: ${message}`);
  };
  const { registry, prefix = DEFAULT_PREFIX } = checkArgument(
    caller,
    options,
    () => {
      if (typeof options !== 'object' || options === null) {
        fail(`the options must be an object { ${names.join('?, ')}? }, got ${describeValue(options)}`);
      }
      for (const name of Object.keys(options)) {
        if (!names.includes(name)) {
          fail(`unknown option ${JSON.stringify(name)}; expected ${names.join(', ')}`);
        }
      }
      return { ...options };
    },
    'WBJ_CONFIG',
  );
  const client = requiredPromClient(caller);
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME_START.test(prefix))) {
    fail(
      `the prefix option must start a Prometheus metric name (letters, digits, _ and :, not a digit first), ` +
        `got ${describeValue(prefix)}`,
    );
  }
  const checked =
    registry === undefined
      ? client.register
      : isRegistry(registry)
        ? registry
        : fail(`the registry option must be a prom-client Registry, got ${describeValue(registry)}`);
  return { client, registry: checked, prefix, prefixGiven: options.prefix !== undefined };
}

/** A prom-client registry, whichever copy of prom-client made it (an application may hold its own). */
function isRegistry(value: unknown): value is Registry {
  const candidate = value as Partial<Record<keyof MetricsRegistry, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.registerMetric === 'function' &&
    typeof candidate.getSingleMetric === 'function' &&
    typeof candidate.metrics === 'function'
  );
}
