import http from 'node:http';

/**
 * One address in front of several app instances, as a load balancer is: it forwards each request to the instance
 * it points at when the request comes, and drops a response whose instance went away, as a balancer does. The
 * test moves it to another instance (a rolling restart) or makes it refuse the event stream (a proxy that breaks
 * SSE), and reads the requests for the stream it forwarded.
 */
export interface SwitchingProxy {
  readonly url: string;
  /** The instance requests go to, `http://127.0.0.1:<port>`. */
  target: string;
  /** While true, a request for a job's event stream is answered 502 instead of forwarded. */
  refuseStreams: boolean;
  /** Drops the event streams it is forwarding now, as a proxy that times them out does. */
  dropStreams(): void;
  /** The requests for an event stream: the path and the Last-Event-ID header each came with, and where it went. */
  readonly streams: { readonly path: string; readonly lastEventId?: string; readonly target: string }[];
  close(): Promise<void>;
}

export async function startSwitchingProxy(target: string): Promise<SwitchingProxy> {
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const isStream = /\/events(\?|$)/.test(req.url ?? '');
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    if (isStream) proxy.streams.push({ path: req.url!, lastEventId, target: proxy.target });
    if (isStream && proxy.refuseStreams) return void res.writeHead(502).end('stream refused');
    if (isStream) {
      open.add(res);
      res.once('close', () => open.delete(res));
    }
    const upstream = http.request(
      new URL(req.url!, proxy.target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
        // The instance went away mid-answer: the browser sees its connection drop, not a clean end.
        answer.once('close', () => answer.complete || res.destroy());
      },
    );
    upstream.once('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: SwitchingProxy = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    target,
    refuseStreams: false,
    dropStreams: () => open.forEach((res) => res.destroy()),
    streams: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
