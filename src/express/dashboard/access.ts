import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * Whether a request comes from this machine. A request a proxy forwarded counts as remote even when the proxy
 * itself is local, or every request behind a local reverse proxy would pass.
 */
export function isLocalRequest(req: Request): boolean {
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/**
 * Why a state-changing request is refused as a possible cross-site request forgery, or `undefined` when it is
 * not: it must carry the dashboard's token in `X-CSRF-Token` (a header other sites cannot set without CORS), and
 * an `Origin`, when sent, must be this host.
 */
export function forgeryReason(req: Request, token: string): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined; // an unparsable Origin is refused below like a foreign one
    }
    if (host !== req.headers.host) return `the request comes from another origin (${origin})`;
  } else if (origin === 'null') {
    return 'the request comes from an opaque origin';
  }
  const given = req.headers['x-csrf-token'];
  if (typeof given !== 'string' || given.length !== token.length)
    return 'the X-CSRF-Token header is missing or wrong';
  if (!timingSafeEqual(Buffer.from(given), Buffer.from(token)))
    return 'the X-CSRF-Token header is missing or wrong';
  return undefined;
}
