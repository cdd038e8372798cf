import type { Registry } from 'prom-client';
import type { PromClientModule } from './promClient';

/** What each group of metrics is made with: prom-client, the registry they go to, and the names' prefix. */
export interface MetricsContext {
  readonly client: PromClientModule;
  readonly registry: Registry;
  /** `wbj_` unless the application chose another. */
  readonly prefix: string;
}
