import type { MessagePort } from 'node:worker_threads';
import type { JobReport } from '../jobs/BackgroundJob';
import type { ErrorInfo } from '../jobs/errorInfo';

/** What the main thread sends a worker for one job; the job's own port carries everything after that. */
export interface ThreadJobRequest {
  readonly port: MessagePort;
  readonly handlersPath: string;
  readonly job: {
    readonly uuid: string;
    readonly methodName: string;
    readonly key: string;
    readonly description: string;
    readonly begin: Date;
  };
  readonly params: readonly unknown[];
}

/** Main → worker: the job was cancelled or timed out; abort the handler's signal with this reason. */
export interface AbortNote {
  readonly code: 'WBJ_CANCELED' | 'WBJ_JOB_TIMEOUT';
  readonly message: string;
}

/** Worker → main, in order: the handler's start, reports while it runs, stray rejections, and last the outcome. */
export type WorkerNote =
  | { readonly kind: 'started' }
  | JobReport
  | { readonly kind: 'rejection'; readonly errorInfo: ErrorInfo }
  | {
      readonly kind: 'done';
      readonly outcome:
        | { readonly ok: true; readonly result: unknown }
        | { readonly ok: false; readonly errorInfo: ErrorInfo };
    };

/** Worker → pool, after a job's port is closed: a rejection its handler left behind once the job had ended. */
export interface LateRejectionNote {
  readonly kind: 'lateRejection';
  readonly uuid: string;
  readonly methodName: string;
  readonly errorInfo: ErrorInfo;
}
