import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'hono';

/** The built UI, relative to the package (src/server or dist/server → web/dist). */
export const WEB_DIST = path.resolve(import.meta.dirname, '../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Serves files under `root`; any other path that is not a file gets index.html, so deep links into the
 * single-page app load it. Paths are resolved and must stay inside `root`.
 */
export function staticFiles(root: string) {
  return async (c: Context) => {
    const index = path.join(root, 'index.html');
    if (!existsSync(index)) return c.text('The web UI is not built: run npm run build:web (or use the JSON API under /api).', 404);
    let relative: string;
    try {
      relative = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.text('bad path', 400);
    }
    const file = path.resolve(root, `.${path.posix.normalize(relative)}`);
    const inside = file === root || file.startsWith(`${root}${path.sep}`);
    const target = inside && existsSync(file) && statSync(file).isFile() ? file : index;
    const headers: Record<string, string> = {
      'Content-Type': TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // Hashed asset names can be cached; index.html must not be, so a rebuilt UI is picked up.
      'Cache-Control': target === index ? 'no-cache' : 'public, max-age=3600',
    };
    if (target === index) headers['X-Frame-Options'] = 'DENY';
    return c.body(await readFile(target), 200, headers);
  };
}
