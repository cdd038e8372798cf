// The browser side of backgroundJobsApi (docs/long-operations.md): runJob starts a job through the router and follows
// it to its end, as БСП's ДлительныеОперацииКлиент.ОжидатьЗавершение does for a form — through the router's
// Server-Sent Events, or long polling where EventSource is missing or keeps failing. A plain ES module with no imports:
// the router serves it as `<mount>/client.js`, bundlers take it as `web-background-jobs/client`.

import type { JobJson, JobMessage, JobProgress, RunJobErrorDetails, RunJobOptions } from './types.js';

export type * from './types.js';

/**
 * Why {@link runJob} rejected: the job ended Failed (`WBJ_JOB_FAILED`) or Canceled (`WBJ_JOB_CANCELED`, named
 * `AbortError` when the signal cancelled it), or the router refused (its code: `WBJ_KEY_CONFLICT`, `WBJ_FORBIDDEN`…;
 * `WBJ_REQUEST_FAILED` for an answer that is not the router's).
 */
export class RunJobError extends Error {
  readonly code: string;

  constructor(code: string, message: string, details: RunJobErrorDetails = {}, name = 'RunJobError') {
    super(message);
    this.name = name;
    this.code = code;
    Object.assign(this, details);
  }
}
// Its details (status, holderUuid, errorInfo, job): declared once, in RunJobErrorDetails, and set by the constructor.
export interface RunJobError extends RunJobErrorDetails {}

/** What a POST of the router requires: a custom header forces a CORS preflight, so another site cannot send it. */
const HEADERS = { Accept: 'application/json', 'X-Requested-With': 'web-background-jobs' };
/** Seconds a long poll waits for the job's end; under the router's 30 and most proxies' idle timeouts. */
const WAIT_SECONDS = 25;
/** Failures of a request in a row (network down, 502–504 while an instance restarts) before polling gives up. */
const MAX_RETRIES = 10;

/**
 * Starts `method` through the router mounted at `apiUrl` and follows the job to its end: resolves with the job when
 * Completed, rejects with a {@link RunJobError} otherwise.
 * @example const job = await runJob('/api/jobs', 'Reports.Build', [5], { onProgress: (p) => (bar.value = p.percent) });
 */
export async function runJob(
  apiUrl: string,
  method: string,
  params: readonly unknown[] = [],
  options: RunJobOptions = {},
): Promise<JobJson> {
  const { key, description, onKeyConflict, signal } = options;
  if (signal?.aborted)
    throw new RunJobError('WBJ_JOB_CANCELED', 'Aborted before the job was started', {}, 'AbortError');
  const base = apiUrl.replace(/\/+$/, '');
  const body = JSON.stringify({ method, params, key, description, onKeyConflict });
  const started = await request(base, { method: 'POST', body });
  return follow(`${base}/${encodeURIComponent(started.uuid)}`, started, options);
}

/** Follows the job at `url` from `started` to its end, through the stream or by long polling. */
function follow(url: string, started: JobJson, options: RunJobOptions): Promise<JobJson> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    let delivered = 0; // messages given to onMessage: the stream's event ids count them too
    let aborted = false;
    let done = false;
    let source: EventSource | undefined;
    let failures = 0; // stream errors since the last event
    const seen = { state: '', progress: '' };

    const stop = (): void => {
      done = true;
      source?.close();
      signal?.removeEventListener('abort', cancel);
    };
    const fail = (error: unknown): void => {
      if (!done) stop();
      reject(error); // a promise settles once: after the end, this does nothing
    };
    /** Calls `callback` with `value` unless `what` is what it was last called with: a reconnect repeats the state. */
    const onChange = <T>(
      slot: keyof typeof seen,
      what: string,
      callback: ((value: T) => void) | undefined,
      value: T,
    ) => {
      if (seen[slot] !== what) {
        seen[slot] = what;
        call(callback, value);
      }
    };
    const showProgress = ({ percent, text }: JobProgress): void =>
      onChange('progress', `${percent} ${text}`, options.onProgress, { percent, text });
    const showState = ({ messages: _messages, ...job }: JobJson): void => {
      onChange('state', `${job.state} ${job.begin}`, options.onState, job);
      if (job.progress) showProgress(job.progress);
    };
    /** Gives onMessage the message numbered `number` (from 1), unless it was given already. */
    const showMessage = (message: JobMessage, number: number): void => {
      if (number <= delivered) return;
      delivered = number;
      call(options.onMessage, message);
    };
    const finish = (job: JobJson): void => {
      if (done) return;
      showState(job);
      stop();
      if (job.state === 'Completed') return resolve(job);
      if (job.state === 'Failed') {
        const description = job.errorInfo?.description ?? 'The job failed';
        return reject(new RunJobError('WBJ_JOB_FAILED', description, { errorInfo: job.errorInfo, job }));
      }
      const why = aborted ? 'The job was cancelled by its caller' : 'The job was cancelled';
      reject(new RunJobError('WBJ_JOB_CANCELED', why, { job }, aborted ? 'AbortError' : 'RunJobError'));
    };
    function cancel(): void {
      aborted = true;
      request(`${url}/cancel`, { method: 'POST' }).catch(fail); // the job's end, through the watch, settles runJob
    }

    const poll = async (): Promise<void> => {
      for (let retries = 0; !done;) {
        try {
          const job = await request(`${url}?wait=${WAIT_SECONDS}`, { method: 'GET' });
          retries = 0;
          (job.messages ?? []).forEach((message, index) => showMessage(message, index + 1));
          if (job.state === 'Active') showState(job);
          else finish(job);
        } catch (error) {
          if (!transient(error) || ++retries > MAX_RETRIES) return fail(error);
          await new Promise((resume) => setTimeout(resume, 1000));
        }
      }
    };
    const stream = (): void => {
      // A new EventSource cannot set Last-Event-ID: the router takes it from the query as well.
      source = new EventSource(`${url}/events${delivered ? `?lastEventId=${delivered}` : ''}`);
      const on = (name: string, handle: (data: never, id: number) => void): void =>
        source!.addEventListener(name, (event) => {
          failures = 0;
          const { data, lastEventId } = event as MessageEvent<string>;
          handle(JSON.parse(data) as never, Number(lastEventId));
        });
      on('state', showState);
      on('progress', showProgress);
      on('message', showMessage);
      on('end', finish);
      source.onerror = () => {
        if (done) return;
        // The browser reconnects by itself, sending Last-Event-ID; after an HTTP error it gives up, and so do we the
        // second time in a row without an event between: long polling then works through what blocks the stream.
        if ((failures += 1) >= 2) return (source!.close(), void poll());
        if (source!.readyState === EventSource.CLOSED) stream();
      };
    };

    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    showState(started);
    if (started.state !== 'Active') return finish(started);
    if (typeof EventSource === 'function') stream();
    else void poll();
  });
}

/** Calls the user's callback; what it throws is reported as uncaught, apart from the watch, which goes on. */
function call<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    callback?.(value);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

/** Sends a request to the router and answers its JSON job; rejects with the router's error, or a network failure. */
async function request(url: string, init: { method: 'GET' | 'POST'; body?: string }): Promise<JobJson> {
  const headers = init.body === undefined ? HEADERS : { ...HEADERS, 'Content-Type': 'application/json' };
  const response = await fetch(url, { ...init, headers, credentials: 'same-origin' });
  const answer: unknown = await response.json().catch(() => undefined);
  if (response.ok && answer) return answer as JobJson;
  const error = (answer as { error?: { code?: string; message?: string; holderUuid?: string } } | undefined)
    ?.error;
  const message =
    error?.message ?? `${init.method} ${url} answered ${response.status} ${response.statusText}`;
  const details = { status: response.status, holderUuid: error?.holderUuid };
  throw new RunJobError(error?.code ?? 'WBJ_REQUEST_FAILED', message, details);
}

/** Whether a failed request is worth repeating: the network failed, or a proxy found no instance to answer. */
function transient(error: unknown): boolean {
  if (!(error instanceof RunJobError)) return error instanceof TypeError; // fetch's network failure
  return error.code === 'WBJ_STORE_UNAVAILABLE' || [502, 503, 504].includes(error.status ?? 0);
}
