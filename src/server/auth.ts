import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/** Loopback addresses and names: binding to one of these keeps the API on this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export const newToken = () => randomBytes(24).toString('base64url');

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Guards /api. With a token, every call needs `Authorization: Bearer <token>` (compared in constant time).
 * Without one (loopback only), the Host header must name a loopback host too, so a web page cannot reach the
 * API through DNS rebinding. State-changing calls must send JSON, which a cross-site form cannot.
 */
export function apiGuard(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (c, next) => {
    if (expected) {
      const header = c.req.header('authorization') ?? '';
      const given = /^Bearer (.+)$/i.exec(header)?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        return c.json({ error: 'a bearer token is required: send Authorization: Bearer <token> (printed by gumshoe serve at start)' }, 401);
      }
    } else {
      const host = (c.req.header('host') ?? '').replace(/:\d+$/, '');
      if (!isLoopback(host)) return c.json({ error: `requests must address this server by a loopback name, not ${JSON.stringify(host)}` }, 403);
    }
    if (c.req.method === 'POST' && !(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      return c.json({ error: 'POST bodies must be JSON (Content-Type: application/json)' }, 400);
    }
    await next();
  };
}
