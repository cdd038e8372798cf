import http from 'node:http';

/** One Server-Sent Event as a browser's EventSource reads it, or a comment line (`: keep-alive`). */
export interface StreamEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: unknown;
}

/** An open event stream, read over real HTTP and parsed as the WHATWG EventSource format says. */
export interface EventStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The `retry:` lines and events received so far, in order; a comment is an event named `:` with its text as data. */
  readonly received: StreamEvent[];
  /** Resolves with the events received once `done` says they are enough (or the stream ended); rejects after 15 s. */
  until(done: (events: readonly StreamEvent[]) => boolean): Promise<StreamEvent[]>;
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>;
  /** Closes the connection, as a browser leaving the page. */
  close(): void;
}

/** Opens `url` (GET) as an EventSource would, with these request headers. */
export function openStream(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
      const received: StreamEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let isEnded = false;
      const ended = new Promise<void>((done) =>
        response.on('close', () => {
          isEnded = true;
          waiters.forEach((wake) => wake());
          done();
        }),
      );
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          received.push(parseBlock(buffer.slice(0, at)));
          buffer = buffer.slice(at + 2);
        }
        waiters.forEach((wake) => wake());
      });
      resolve({
        status: response.statusCode!,
        headers: response.headers,
        received,
        ended,
        close: () => request.destroy(),
        until: (done) =>
          new Promise((settle, fail) => {
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`The stream did not send what was awaited: ${JSON.stringify(received)}`));
            }, 15_000);
            function check(): void {
              if (!done(received) && !isEnded) return;
              clearTimeout(timer);
              waiters.delete(check);
              settle(received.slice());
            }
            waiters.add(check);
            check();
          }),
      });
    });
    request.on('error', reject);
  });
}

function parseBlock(block: string): StreamEvent {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === '') return { id: undefined, event: ':', data: value };
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry') return { id: undefined, event: 'retry', data: Number(value) };
  }
  return { id, event, data: JSON.parse(data.join('\n')) };
}

/** The events named `name`. */
export function named(events: readonly StreamEvent[], name: string): StreamEvent[] {
  return events.filter((each) => each.event === name);
}
