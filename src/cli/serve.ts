/** `gumshoe serve`: the investigation web UI and its JSON API over the lake (docs/api.md). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { isLoopback, newToken } from '../server/auth.js';
import { WEB_DIST } from '../server/static.js';
import { UserError } from '../sources/input.js';
import { dbOption } from './common.js';
import { colors } from './output.js';

const port = (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new UserError(`--port: expected a port number 0–65535, not '${value}'`);
  return n;
};

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the investigation web UI and its JSON API (findings, finding groups, entity profiles, investigations, search)')
    .addOption(dbOption())
    .option('--host <address>', 'address to bind; anything but loopback requires a token', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', port, 8787)
    .addOption(new Option('--token <token>', 'bearer token every /api call must send (default off loopback: a random one, printed)').env('GUMSHOE_TOKEN'))
    .addHelpText('after', `
The server opens the lake read-only only while it answers, so 'gumshoe ingest' and 'gumshoe detect' can write
it meanwhile; while they do, answers come from the server's cache marked "stale": true (or 503 if none).`)
    .action(async (options: { db: string; host: string; port: number; token?: string }) => {
      if (!existsSync(options.db)) throw new UserError(`no lake at ${options.db}; run 'gumshoe ingest' or 'gumshoe demo' first, or pass --db`);
      await serveUntilStopped(options.db, options.host, options.port, options.token || undefined);
    });
}

/** Serves the lake's UI and API until Ctrl-C (or SIGTERM), printing where; also the end of `gumshoe demo`. */
export async function serveUntilStopped(db: string, host: string, portNumber: number, given?: string): Promise<void> {
  const token = given ?? (isLoopback(host) ? undefined : newToken());
  const { startServer } = await import('../server/app.js');
  let server;
  try {
    server = await startServer({ file: path.resolve(db), host, port: portNumber, token });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`port ${portNumber} on ${host} is in use; pass --port`);
    if (code === 'EADDRNOTAVAIL') throw new UserError(`cannot bind ${host}: no such local address`);
    throw error;
  }
  console.log(`${colors.bold('Gumshoe')} serving ${db} at ${colors.green(`${server.url}/`)}`);
  if (token && !given) console.log(`API token: ${token}`);
  if (token) console.log(`  every /api call needs the header "Authorization: Bearer <token>"${given ? ' (the token given with --token / GUMSHOE_TOKEN)' : ''}; the web UI asks for it`);
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) console.log(colors.yellow('The web UI is not built (npm run build:web); the JSON API is under /api.'));
  console.log('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
