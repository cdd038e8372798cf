import path from 'node:path';
import type { ResolvedHandler } from '../../loader/HandlerResolver';
import type { BackgroundJobsManager } from '../BackgroundJobsManager';

/** The label of a job whose method is not (or no longer) a function of the handlers folder. */
export const OTHER_METHOD = 'other';

/**
 * The `method` label of a job: the name of the function it runs as the handlers folder spells it (`Reports.Build`
 * for `reports.build`), so that the labels are bounded by the functions the folder exports, whatever names callers
 * use; any other name (another instance's method this one lacks, a file since removed) is `other`. Prometheus keeps a
 * series per label value: a label taken from callers' text would grow without end.
 */
export class MethodLabels {
  readonly #manager: BackgroundJobsManager;
  /** Labels by handler identity (`file#export`): one per function of the folder. */
  readonly #labels = new Map<string, string>();

  constructor(manager: BackgroundJobsManager) {
    this.#manager = manager;
  }

  /**
   * Calls `use` with the label of `methodName`: at once for a method the manager has resolved (every job this
   * process started or ran), else once its module is found (a job heard from another instance).
   */
  withLabel(methodName: string, use: (label: string) => void): void {
    let handler: ResolvedHandler | Promise<ResolvedHandler>;
    try {
      handler = this.#manager.handlerOf(methodName);
    } catch {
      return use(OTHER_METHOD); // not a method name at all: no module can answer to it
    }
    if (!(handler instanceof Promise)) return use(this.#labelOf(handler));
    handler.then(
      (resolved) => use(this.#labelOf(resolved)),
      () => use(OTHER_METHOD), // not in this instance's handlers folder: why is execute's business, not the metrics'
    );
  }

  #labelOf({ identity }: ResolvedHandler): string {
    let label = this.#labels.get(identity);
    if (label === undefined) {
      const split = identity.lastIndexOf('#');
      const file = identity.slice(0, split);
      label = `${path.basename(file, path.extname(file))}.${identity.slice(split + 1)}`;
      this.#labels.set(identity, label);
    }
    return label;
  }
}
