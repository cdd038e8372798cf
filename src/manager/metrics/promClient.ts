import type * as PromClient from 'prom-client';
import { loadOptionalPeer } from '../../config/optionalPeer';
import { BackgroundJobsError } from '../../errors';

/** prom-client, as this package uses it. */
export type PromClientModule = typeof PromClient;

const INSTALL = 'npm install prom-client';

/**
 * prom-client, for `what` (registerMetrics or the metrics handler): loaded at the first call only, so an application
 * that exports no metrics never loads it, nor has to install it.
 * @throws BackgroundJobsError `WBJ_CONFIG` naming `what` and the command that installs prom-client, an optional peer
 * dependency of this package.
 */
export function requiredPromClient(what: string): PromClientModule {
  const promClient = loadOptionalPeer<PromClientModule>({
    name: 'prom-client',
    neededBy: `${what} exports Prometheus metrics through prom-client`,
    install: INSTALL,
  });
  if (promClient !== undefined) return promClient;
  throw new BackgroundJobsError(
    'WBJ_CONFIG',
    `${what} exports Prometheus metrics through prom-client, but prom-client is not installed (an optional peer ` +
      `dependency of web-background-jobs). Install it in the application: ${INSTALL}`,
  );
}
