// GET /:uuid/events: a job's changes as Server-Sent Events (the WHATWG EventSource format), pushed as they happen.
// The job tells the stream of each change (job.watch): nothing polls it, whichever store it is in; a Redis job run by
// another instance changes here as this instance's copy of it is brought up to date.
import type { Request, Response } from 'express';
import type { BackgroundJob, BackgroundJobData } from '../../jobs/BackgroundJob';
import { BackgroundJobState } from '../../jobs/BackgroundJobState';
import { publicFields } from '../../jobs/jobData';
import { jsonValue } from '../../jobs/jsonValue';

/** How long a browser's EventSource waits before it reconnects, in milliseconds (the stream's first line). */
const RETRY_MS = 1000;

/** A job as the `state` and `end` events send it: toJSON() without its messages, which come as events of their own. */
export type JobWithoutMessages = Omit<BackgroundJobData, 'messages'>;

/** The job as toJSON() sends it, its messages left out without copying them. */
export function withoutMessages(job: BackgroundJob): JobWithoutMessages {
  return publicFields(job, { result: jsonValue(job.result) });
}

/**
 * The streams of one router, kept alive by one shared timer: a comment line every `intervalMs`, which proxies and
 * load balancers see as traffic and the browser ignores. The timer runs only while a stream is open.
 */
export class Heartbeat {
  readonly #intervalMs: number;
  readonly #streams = new Set<Response>();
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  add(res: Response): void {
    this.#streams.add(res);
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(
      () => this.#streams.forEach((each) => each.write(': keep-alive\n\n')),
      this.#intervalMs,
    );
    this.#timer.unref();
  }

  delete(res: Response): void {
    this.#streams.delete(res);
    if (this.#streams.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Streams `job` to `res`: its state at once, its progress, its messages from message number `from` on (the
 * `Last-Event-ID` a reconnecting EventSource sends), then each change until the job ends, with `end`. Every event's
 * id is the number of the job's messages delivered so far, so a reconnect neither loses nor repeats one.
 */
export function streamJob(
  req: Request,
  res: Response,
  job: BackgroundJob,
  from: number,
  heartbeat: Heartbeat,
): void {
  // Gone while the job was looked up (a store read): its close event has passed, and would release nothing.
  if (req.socket.destroyed) return;
  res.status(200).set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no', // nginx: pass each event on at once instead of buffering the response
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  res.write(`retry: ${RETRY_MS}\n\n`);
  const stream = new JobStream(res, job, from);
  stream.flush(true);
  if (job.state !== BackgroundJobState.Active) return void res.end();
  heartbeat.add(res);
  let pending = false;
  // Changes come in bursts (a store's update brings begin, progress and messages at once): one flush a burst, after
  // the job has taken them all, never in the middle of its own change.
  const unwatch = job.watch(() => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      if (stream.flush(false)) res.end();
    });
  });
  res.on('close', () => {
    unwatch();
    heartbeat.delete(res);
  });
}

/** What one stream has sent of a job, so that each flush sends only what changed since. */
class JobStream {
  readonly #res: Response;
  readonly #job: BackgroundJob;
  /** The job's messages delivered: the next one to send is this number (0 for its first). */
  #sent: number;
  #begin: number | undefined;
  #progress: string | undefined;
  #ended = false;

  constructor(res: Response, job: BackgroundJob, from: number) {
    this.#res = res;
    this.#job = job;
    this.#sent = from;
    this.#begin = job.begin?.getTime();
  }

  /** Sends what changed (everything on `connect`); true once the job has ended and `end` was sent. */
  flush(connect: boolean): boolean {
    if (this.#ended) return true;
    const job = this.#job;
    const active = job.state === BackgroundJobState.Active;
    const begin = job.begin?.getTime();
    if (connect || (active && begin !== this.#begin)) this.#send('state', withoutMessages(job));
    this.#begin = begin;
    const { progress } = job;
    const progressKey = progress && `${progress.date.getTime()} ${progress.percent} ${progress.text}`;
    if (progressKey !== this.#progress && progress !== undefined)
      this.#send('progress', { percent: progress.percent, text: progress.text });
    this.#progress = progressKey;
    this.#sendMessages();
    if (active) return false;
    this.#ended = true;
    this.#send('end', withoutMessages(job));
    return true;
  }

  /** The messages past those sent, without copying the rest; those getUserMessages(true) took are gone. */
  #sendMessages(): void {
    const reported = this.#job.messagesReported;
    if (reported <= this.#sent) return;
    const { messages } = this.#job.messagesPage(0, reported - this.#sent);
    this.#sent = reported - messages.length;
    for (const message of messages) {
      this.#sent += 1;
      this.#send('message', message);
    }
  }

  #send(event: string, data: unknown): void {
    this.#res.write(`id: ${this.#sent}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
