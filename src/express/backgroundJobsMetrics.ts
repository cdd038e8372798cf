import type { IncomingMessage, ServerResponse } from 'node:http';
import { messageOf } from '../errors';
import type { BackgroundJobsManager } from '../manager/BackgroundJobsManager';
import {
  checkManager,
  metricsContext,
  metricsOf,
  type MetricsOptions,
  type MetricsRegistry,
} from '../manager/metrics/registerMetrics';
import { attachedManager } from './notAttached';

/** Options of {@link backgroundJobsMetrics}: registerMetrics' own, and the manager. */
export interface BackgroundJobsMetricsOptions extends MetricsOptions {
  /**
   * The manager whose metrics to serve, registered at once. Default: `req.backgroundJobs`, attached by
   * `backgroundJobs()` mounted before, registered at the first scrape unless `registerMetrics` did it at start-up.
   */
  manager?: BackgroundJobsManager;
}

/** A request handler (Express, connect or plain `http`) that answers a Prometheus scrape. */
export type MetricsHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

const CALLER = 'backgroundJobsMetrics(options)';
const OPTION_NAMES: readonly string[] = ['manager', 'registry', 'prefix'];

/**
 * The handler of Prometheus' scrape, `app.get('/metrics', backgroundJobsMetrics())`: answers the registry's metrics
 * in the text format (prom-client's global registry unless `registry` is given), with the manager's metrics
 * registered on it (see registerMetrics) beside whatever else the application put there.
 * @throws BackgroundJobsError `WBJ_CONFIG` for a bad option, or when prom-client is not installed.
 */
export function backgroundJobsMetrics(options: BackgroundJobsMetricsOptions = {}): MetricsHandler {
  const context = metricsContext(CALLER, options, OPTION_NAMES);
  const { manager } = options;
  if (manager !== undefined) checkManager(CALLER, manager, 'the manager option');
  // The given manager's metrics registered now: they count from start-up, not from the first scrape.
  const fixed = manager && metricsOf(manager, context);
  const registryFor = (req: IncomingMessage): MetricsRegistry => {
    if (fixed !== undefined) return fixed;
    const attached = attachedManager(req);
    return attached === undefined ? context.registry : metricsOf(attached, context);
  };
  return (req, res, next) => {
    let registry: MetricsRegistry;
    try {
      registry = registryFor(req);
    } catch (error) {
      return fail(res, error, next);
    }
    registry.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(text);
      },
      (error: unknown) => fail(res, error, next),
    );
  };
}

/** A scrape that cannot be answered: the application's error handler gets it, or, without one, a plain 500. */
function fail(res: ServerResponse, error: unknown, next: ((error?: unknown) => void) | undefined): void {
  if (next !== undefined) return next(error);
  res.statusCode = 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`# The background jobs' metrics could not be collected: ${messageOf(error)}\n`);
}
