/**
 * Pure helpers that turn a client's upgrade request into the upstream dial: the connectionId,
 * the upstream URL (client path and query appended, minus connectionId), and the end-to-end
 * headers to forward. No sockets here.
 */

/** Header that carries the connection id: to the upstream on the request, to the client on the upgrade response. */
export const CONNECTION_ID_HEADER = 'x-connection-id';

/** A connectionId a client may choose: 1–128 characters of letters, digits, `-`, `_`, `.`, `~`. */
const CONNECTION_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** Headers that belong to one hop (RFC 9110 §7.6.1) or to one WebSocket handshake; never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
  CONNECTION_ID_HEADER,
]);

/** The client's request target, split for the upstream. */
export type ClientTarget =
  | { readonly ok: true; readonly path: string; readonly query: string; readonly connectionId: string | undefined }
  | { readonly ok: false; readonly message: string };

/**
 * Splits a request target (`/path?query`) into the path, the query without `connectionId`
 * (other parameters keep their bytes and order) and the connectionId, if any.
 */
export function parseClientTarget(target: string): ClientTarget {
  const hash = target.indexOf('#');
  const clean = hash === -1 ? target : target.slice(0, hash);
  const q = clean.indexOf('?');
  const path = q === -1 ? clean : clean.slice(0, q);
  const rawQuery = q === -1 ? '' : clean.slice(q + 1);
  if (!path.startsWith('/')) return { ok: false, message: 'request target must start with /' };
  let connectionId: string | undefined;
  const kept: string[] = [];
  for (const part of rawQuery === '' ? [] : rawQuery.split('&')) {
    const eq = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent((eq === -1 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = decodeURIComponent((eq === -1 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      return { ok: false, message: 'malformed query string' };
    }
    if (key !== 'connectionId') {
      if (part !== '') kept.push(part);
      continue;
    }
    if (connectionId !== undefined) return { ok: false, message: 'connectionId given more than once' };
    if (!CONNECTION_ID.test(value)) return { ok: false, message: 'connectionId must be 1-128 of A-Z a-z 0-9 . _ ~ -' };
    connectionId = value;
  }
  return { ok: true, path, query: kept.join('&'), connectionId };
}

/**
 * The upstream URL for a client: the upstream's path joined with the client's path, the
 * upstream's query followed by the client's.
 */
export function buildUpstreamUrl(upstream: string, path: string, query: string): string {
  const url = new URL(upstream);
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  const joinedPath = path === '/' && basePath !== '' ? basePath : `${basePath}${path}`;
  const baseQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
  const joinedQuery = [baseQuery, query].filter((s) => s !== '').join('&');
  return `${url.protocol}//${url.host}${joinedPath}${joinedQuery === '' ? '' : `?${joinedQuery}`}`;
}

/**
 * The end-to-end headers of the client's request, plus `x-connection-id` and `x-forwarded-for`.
 * Drops hop-by-hop headers, those named in `Connection`, and the WebSocket handshake headers
 * (each leg negotiates its own). Values arrive already validated by Node's HTTP parser, so no
 * CR or LF can reach the upstream request.
 */
export function forwardHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  connectionId: string,
  remoteAddress: string | undefined,
): Record<string, string> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out[lower] = Array.isArray(value) ? value.join(lower === 'cookie' ? '; ' : ', ') : value;
  }
  if (remoteAddress !== undefined) {
    const prior = out['x-forwarded-for'];
    out['x-forwarded-for'] = prior === undefined ? remoteAddress : `${prior}, ${remoteAddress}`;
  }
  out[CONNECTION_ID_HEADER] = connectionId;
  return out;
}

/** The subprotocols a client offered, in its order (`Sec-WebSocket-Protocol`). */
export function offeredProtocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
