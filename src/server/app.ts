import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { AnswerCache } from './answer-cache.js';
import { ID_SHAPES } from './arns.js';
import { apiGuard, isLoopback } from './auth.js';
import { archiveFinding, findingDetail, listFindings, suppressFinding, type SuppressBody } from './findings.js';
import { geolocationActivity } from './geolocations.js';
import { groupDetail, groupsInWindow } from './groups.js';
import { investigate } from './investigations.js';
import { LakeAccess, LakeBusyError, type ReadContext } from './lake-access.js';
import { entityPanel, entityProfile, lakeRange, scopeOf } from './profiles.js';
import { iso, wire } from './scope.js';
import { search } from './search.js';
import { num, one } from './sql.js';
import { staticFiles, WEB_DIST } from './static.js';
import { summary } from './summary.js';
import { entityType, HttpError, identifier, notFound } from './validation.js';

export interface AppOptions {
  access: LakeAccess;
  /** Required on every /api call when set. */
  token?: string;
  /** Where the built UI is; web/dist of the package by default. */
  webRoot?: string;
}

/** GET /api/health */
async function health(context: ReadContext, file: string) {
  const count = async (table: string) => num((await one(context.connection, `SELECT count(*) AS n FROM ${table}`))?.n);
  const range = await lakeRange(context);
  return {
    ok: true,
    lake: {
      file,
      events: { cloudtrail: await count('api_activity'), flow: await count('network_activity'), dns: await count('dns_activity') },
      findings: await count('findings'),
      first: range.first === null ? null : iso(range.first),
      newest: range.newest === null ? null : iso(range.newest),
    },
  };
}

export function createApp(options: AppOptions): Hono {
  const { access } = options;
  const cache = new AnswerCache();
  const app = new Hono();

  /**
   * A GET answer: from the cache while the lake is unchanged, else computed on a read-only open; while another
   * process writes the lake, the last answer marked `stale: true`, or 503 when there is none yet.
   */
  const answer = async (c: Context, compute: (context: ReadContext) => Promise<object>) => {
    const url = new URL(c.req.url);
    const key = `${url.pathname}${url.search}`;
    const hit = cache.get(key);
    if (hit && hit.version === access.version()) return c.json(hit.body);
    try {
      const { body, version } = await access.read(async (context) => ({ body: await compute(context), version: context.version }));
      cache.set(key, version, body);
      return c.json(body);
    } catch (error) {
      if (error instanceof LakeBusyError && hit) {
        c.header('X-Gumshoe-Stale', 'true');
        return c.json({ ...hit.body, stale: true });
      }
      throw error;
    }
  };
  const write = async <T>(fn: Parameters<LakeAccess['write']>[0]) => (await access.write(fn)) as T;
  const query = (c: Context) => c.req.query() as Record<string, string | undefined>;
  const findingId = (c: Context) => {
    const id = identifier('id', c.req.param('id'));
    if (!ID_SHAPES.finding.test(id)) throw notFound(`no finding ${id}`);
    return id;
  };

  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
  });
  app.use('/api/*', apiGuard(options.token));

  app.get('/api/health', (c) => answer(c, (context) => health(context, access.file)));
  app.get('/api/summary', (c) => answer(c, (context) => summary(context, query(c))));
  app.get('/api/findings', (c) => answer(c, (context) => listFindings(context, query(c))));
  app.get('/api/findings/:id', (c) => answer(c, (context) => findingDetail(context, findingId(c))));
  app.post('/api/findings/:id/archive', async (c) => c.json(await write((connection) => archiveFinding(connection, findingId(c), true))));
  app.post('/api/findings/:id/unarchive', async (c) => c.json(await write((connection) => archiveFinding(connection, findingId(c), false))));
  app.post('/api/findings/:id/suppress', async (c) => {
    let body: SuppressBody;
    try {
      body = (await c.req.json()) as SuppressBody;
    } catch {
      throw new HttpError(400, 'the body must be a JSON object like {"name": "…", "fields": ["type", …]}');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object');
    const id = findingId(c);
    return c.json(await write((connection) => suppressFinding(connection, id, body)), 201);
  });
  app.get('/api/groups', (c) => answer(c, async (context) => {
    const scope = await scopeOf(context, query(c));
    return { scope: wire(scope), groups: await groupsInWindow(context, scope) };
  }));
  app.get('/api/groups/:id', (c) => answer(c, (context) => groupDetail(context, identifier('id', c.req.param('id')))));
  app.get('/api/entities/:type/:id', (c) => answer(c, (context) =>
    entityProfile(context, entityType(c.req.param('type')), identifier('id', c.req.param('id')), query(c))));
  app.get('/api/entities/:type/:id/panels/:panel', (c) => answer(c, (context) =>
    entityPanel(context, entityType(c.req.param('type')), identifier('id', c.req.param('id')), c.req.param('panel'), query(c))));
  app.get('/api/investigations/:type/:id', (c) => answer(c, (context) =>
    investigate(context, entityType(c.req.param('type')), identifier('id', c.req.param('id')), query(c))));
  app.get('/api/geolocations/:key', (c) => answer(c, (context) => geolocationActivity(context, identifier('key', c.req.param('key')), query(c))));
  app.get('/api/search', (c) => answer(c, (context) => search(context, c.req.query('q'))));
  app.all('/api/*', (c) => c.json({ error: `no API endpoint ${c.req.method} ${new URL(c.req.url).pathname}; see docs/api.md` }, 404));
  app.get('*', staticFiles(options.webRoot ?? WEB_DIST));

  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json({ error: error.message }, error.status);
    if (error instanceof LakeBusyError) {
      c.header('Retry-After', '5');
      return c.json({ error: c.req.method === 'GET' ? `${error.message}; nothing was cached for this request yet` : error.message }, 503);
    }
    console.error(`gumshoe serve: ${c.req.method} ${new URL(c.req.url).pathname}: ${(error as Error).stack ?? error}`);
    return c.json({ error: `internal error: ${String((error as Error).message ?? error).split('\n')[0]}` }, 500);
  });
  return app;
}

export interface ServeOptions {
  file: string;
  host?: string;
  port?: number;
  /** Required off loopback; optional (and then enforced) on loopback. */
  token?: string;
  webRoot?: string;
  idleMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  access: LakeAccess;
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token) throw new Error(`binding to ${host} (not loopback) needs a token`);
  const access = new LakeAccess(options.file, { idleMs: options.idleMs });
  const app = createApp({ access, token: options.token, webRoot: options.webRoot });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    host,
    access,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      access.close();
    }),
  };
}
