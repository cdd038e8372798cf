import { BackgroundJobsError } from '../errors';
import { expressIfInstalled } from './expressModule';
import type { BackgroundJobsManager } from '../manager/BackgroundJobsManager';

/** Requests the middleware of a detached config saw, with why it gave them no manager. */
const detachedReasons = new WeakMap<object, string>();
let installed = false;

/**
 * Defines `req.backgroundJobs` on Express's request prototype (`express.request`, which every app's `app.request`
 * inherits), once: a request the middleware never gave a manager throws `WBJ_NOT_ATTACHED` saying why, instead of
 * a `TypeError` on `undefined`. The shared prototype, not one app's: the app is not known before a request passes
 * the middleware, too late for a route registered before it. An app that never uses the middleware gets the same
 * explanation, which is what its author needs. The setter keeps `req.backgroundJobs = …` working (the middleware
 * assigns it so, and so may tests).
 */
export function defineRequestGetter(): void {
  if (installed) return;
  installed = true;
  // Express is an optional peer: without it (connect, plain http) there is no shared prototype, and the middleware's
  // own assignment is all there is.
  const request = expressIfInstalled()?.request;
  if (request === undefined) return;
  Object.defineProperty(request, 'backgroundJobs', {
    configurable: true,
    get(this: object): never {
      throw notAttached(detachedReasons.get(this));
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, 'backgroundJobs', {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
}

/** The manager the middleware gave `req`, or `undefined`: read without the getter, for code with a fallback. */
export function attachedManager(req: object): BackgroundJobsManager | undefined {
  return Object.getOwnPropertyDescriptor(req, 'backgroundJobs')?.value as BackgroundJobsManager | undefined;
}

/** Marks `req` as seen by the middleware of a detached config: its `backgroundJobs` getter then gives `reason`. */
export function markDetached(req: object, reason: string): void {
  detachedReasons.set(req, reason);
}

function notAttached(detachedReason: string | undefined): BackgroundJobsError {
  return new BackgroundJobsError(
    'WBJ_NOT_ATTACHED',
    detachedReason === undefined
      ? 'req.backgroundJobs is not set: the backgroundJobs() middleware did not run for this request. ' +
          'Call app.use(backgroundJobs()) before registering the routes (and routers) that read req.backgroundJobs'
      : `req.backgroundJobs is not set: ${detachedReason} Add that key to attach the library, then restart the application`,
  );
}
