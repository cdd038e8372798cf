import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * Headers that only a proxy adds (or a client pretending to be behind one). Any of them makes a request remote:
 * behind a reverse proxy on this machine every request arrives from a loopback address. nginx sends only those
 * its configuration names (often `X-Real-IP` alone), Apache `X-Forwarded-For`/`-Host`, Squid and Varnish `Via`.
 */
const PROXY_HEADERS = [
  'X-Forwarded-For',
  'Forwarded',
  'X-Real-IP',
  'X-Forwarded-Host',
  'X-Forwarded-Proto',
  'Via',
];

/**
 * The Host values served without `authorize`: the loopback names, any port. Names no one but this machine answers
 * for; any other name may be an attacker's that now resolves to 127.0.0.1 (DNS rebinding), and its pages would be
 * the dashboard's own origin. `localhost.` is left out too: it is another origin than `localhost`, and a resolver
 * may send it to DNS instead of answering it from the hosts file.
 */
const LOOPBACK_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * Why the default rule (no `authorize`) refuses a request, or `undefined` when it is served: it must come from a
 * loopback address, straight (no proxy header, and not from an address the app's `trust proxy` names a proxy),
 * and be sent to a loopback name.
 */
export function notLocalReason(req: Request): string | undefined {
  const peer = req.socket.remoteAddress ?? 'an unknown address';
  if (!/^(?:::1|(?:::ffff:)?127\.\d+\.\d+\.\d+)$/.test(peer)) return `it came from ${peer}`;
  const header = PROXY_HEADERS.find((name) => req.headers[name.toLowerCase()] !== undefined);
  if (header !== undefined) return `it came through a proxy (it carries ${header})`;
  // A proxy that adds no header (nginx's bare proxy_pass) cannot be told from a local client, except by the app's
  // own word: when trust proxy names this peer a proxy, the client behind it is unknown. req.ip would be no help:
  // here it is the peer itself, and where a header names a client, that header may be a remote client's forgery
  // passed on, which trust proxy true (or too high a hop count) believes.
  if (trustsPeer(req))
    return `it came from ${peer}, which the app's trust proxy setting names a proxy, so its client is unknown`;
  const host = req.headers.host;
  if (host !== undefined && LOOPBACK_HOST.test(host)) return undefined;
  const hostIs =
    host === undefined
      ? 'it has no Host header'
      : `its Host header ${JSON.stringify(host)} is not localhost, 127.0.0.1 or [::1]`;
  return `${hostIs}: only a loopback name keeps out pages of another site whose name was pointed at this machine (DNS rebinding)`;
}

/**
 * Why a state-changing request is refused as a possible cross-site request forgery, or `undefined` when it is
 * not: it must carry the dashboard's token in `X-CSRF-Token` (a header other sites cannot set without CORS), and
 * an `Origin`, when sent, must be the host the browser addressed. Without `authorize` that host is the Host
 * header, which {@link notLocalReason} has checked is a loopback name, so a page of a rebound name never passes.
 */
export function forgeryReason(req: Request, token: string): string | undefined {
  const crossOrigin = crossOriginReason(req);
  if (crossOrigin !== undefined) return crossOrigin;
  const given = req.headers['x-csrf-token'];
  if (typeof given !== 'string' || given.length !== token.length)
    return 'the X-CSRF-Token header is missing or wrong';
  if (!timingSafeEqual(Buffer.from(given), Buffer.from(token)))
    return 'the X-CSRF-Token header is missing or wrong';
  return undefined;
}

/**
 * Why a request is refused as sent from a page of another site, or `undefined`: an `Origin`, when sent, must be the
 * host the browser addressed (an opaque `null` Origin never is). The dashboard and the jobs API check it on every
 * request that changes state, beside a header other sites cannot send without CORS.
 */
export function crossOriginReason(req: Request): string | undefined {
  const origin = req.headers.origin;
  if (origin === 'null') return 'the request comes from an opaque origin';
  const host = addressedHost(req)?.toLowerCase();
  if (origin !== undefined && (host === undefined || originHost(origin) !== host)) {
    return `the request comes from another origin (${origin}) than the host it was sent to (${host ?? 'none'}); behind a proxy, set Express's trust proxy so that X-Forwarded-Host is read, or have the proxy pass the browser's Host`;
  }
  return undefined;
}

/** The `host` (name and port) of an Origin, as a browser writes it (lower case, no default port). */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // an unparsable Origin matches no host: refused like a foreign one
  }
}

/**
 * The host the browser addressed, as Express's `req.host` reads it (Express 4 has no such getter with the port):
 * `X-Forwarded-Host` when `trust proxy` trusts the peer, else `Host`.
 */
function addressedHost(req: Request): string | undefined {
  const forwarded = req.headers['x-forwarded-host'];
  if (typeof forwarded === 'string' && forwarded !== '' && trustsPeer(req))
    return forwarded.split(',')[0]!.trim();
  return req.headers.host;
}

/**
 * Whether the app's `trust proxy` setting names the peer a proxy. Express 4 and 5 keep the compiled setting as
 * `trust proxy fn`, the function their own `req.ip`, `req.host` and `req.protocol` call this way. Without it (a
 * router outside an Express app, or an Express that renamed it), any truthy `trust proxy` counts: when unsure,
 * the peer is a proxy, which refuses rather than serves.
 */
function trustsPeer(req: Request): boolean {
  const trust: unknown = req.app?.get('trust proxy fn');
  if (typeof trust !== 'function') return Boolean(req.app?.get('trust proxy'));
  return Boolean(trust(req.socket.remoteAddress, 0));
}
