/**
 * The web console's HTTP routes (contract §12): `GET /` → 302 `/console`; `/console` and its
 * assets from the built bundle (dist/console) with a strict Content-Security-Policy; the JSON stats
 * at `/console/api/stats`, open on loopback and elsewhere only with the console token.
 * Serves files it read once into memory; never lists or reads paths a request names.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ConsoleStats } from './stats.js';

export interface ConsoleRoutesOptions {
  readonly stats: ConsoleStats;
  /** Admin token for the stats off loopback; absent: the stats answer loopback only. */
  readonly consoleToken?: string | undefined;
  /** Directory of the built console; default: dist/console of this package. */
  readonly assetsDir?: string;
}

/** Answers the request when it is one of the console's; false leaves it to the other routes. */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** The built files and their content types; nothing else under /console is served. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console/console-style.css': { file: 'console-style.css', type: 'text/css; charset=utf-8' },
};

export const STATS_PATH = '/console/api/stats';

/**
 * Everything from this server, nothing inline: scripts, styles, images and sockets of this origin only
 * ('self' covers ws:/wss: to the same host in CSP 3 browsers; the explicit ws origin covers older ones).
 */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host !== undefined && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Where the built console is: beside this module once built (dist/gateway → dist/console), else the build output seen from src/. */
function defaultAssetsDir(): string {
  const candidates = [new URL('../console/', import.meta.url), new URL('../../dist/console/', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => existsSync(`${dir}console.js`)) ?? candidates[0]!;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Equal in constant time (over digests, so the lengths do not show either). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

const apiError = (code: string, message: string): { error: { code: string; message: string } } => ({ error: { code, message } });

export function createConsoleRoutes(options: ConsoleRoutesOptions): ConsoleHandler {
  const dir = options.assetsDir ?? defaultAssetsDir();
  const cache = new Map<string, Asset>();

  function asset(file: string, type: string): Asset | null {
    let found: Asset | undefined = cache.get(file);
    if (found === undefined) {
      try {
        const body = readFileSync(`${dir}${file}`);
        found = { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
      } catch {
        // Not built (yet): answered 503 and looked for again next time.
        return null;
      }
      cache.set(file, found);
    }
    return found;
  }

  function allowedStats(req: IncomingMessage): 'ok' | 'unauthorized' | 'forbidden' {
    const header = req.headers.authorization;
    const token = options.consoleToken;
    if (token !== undefined && token !== '' && typeof header === 'string' && header.startsWith('Bearer ')) {
      return tokensEqual(header.slice(7), token) ? 'ok' : 'unauthorized';
    }
    if (isLoopback(req.socket.remoteAddress)) return 'ok';
    return token === undefined || token === '' ? 'forbidden' : 'unauthorized';
  }

  function serveStats(req: IncomingMessage, res: ServerResponse): void {
    const allowed = allowedStats(req);
    if (allowed === 'unauthorized') return json(res, 401, apiError('UNAUTHORIZED', 'missing or wrong console token'), { 'www-authenticate': 'Bearer' });
    if (allowed === 'forbidden') return json(res, 403, apiError('FORBIDDEN', 'stats answer on loopback only; set --console-token to allow others'));
    options.stats.snapshot().then(
      (body) => json(res, 200, body),
      () => json(res, 500, apiError('INTERNAL', 'stats unavailable')),
    );
  }

  return (req, res, path) => {
    if (path !== '/' && path !== '/console' && !path.startsWith('/console/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
      res.end();
      return true;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/console', 'content-length': 0 });
      res.end();
      return true;
    }
    if (path === STATS_PATH) {
      serveStats(req, res);
      return true;
    }
    const entry = FILES[path];
    if (entry === undefined) {
      json(res, 404, { status: 'not found' });
      return true;
    }
    const found = asset(entry.file, entry.type);
    if (found === null) {
      json(res, 503, apiError('UNAVAILABLE', 'the console is not built: run npm run build'));
      return true;
    }
    const headers: Record<string, string> = {
      'content-type': found.type,
      etag: found.etag,
      // Names carry no hash: revalidate each time (a 304 when unchanged).
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (found.type.startsWith('text/html')) {
      headers['content-security-policy'] = contentSecurityPolicy(req.headers.host);
      headers['x-frame-options'] = 'DENY';
    }
    if (req.headers['if-none-match'] === found.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': String(found.body.length) });
    res.end(req.method === 'HEAD' ? undefined : found.body);
    return true;
  };
}
