/**
 * The server API on the `serve` port (contract §7, §8): /api/publish, /api/send,
 * /api/disconnect, /api/users/ID, /api/nodes, and /api/openapi.json. Every answer is JSON; every
 * failure is `{"error":{"code","message"}}` (400, 401, 403, 404, 405, 413, 503). Keys and message
 * contents are never logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { Disconnect } from '../../protocol/close-codes.js';
import { exceedsDepth } from '../../protocol/decode-frame.js';
import type { ClientApp } from '../../core/client-apps.js';
import { asUserId } from '../../core/ids.js';
import { userChannel } from '../../core/ports.js';
import type { Services } from '../../core/services.js';
import type { TopicsPlugin } from '../../core/topics/topics-plugin.js';
import { createApiKeyCheck } from './api-auth.js';
import { describeIssue, disconnectBody, publishBody, sendBody } from './api-schemas.js';
import { openApiDocument } from './openapi.js';
import { readJsonBody } from './read-body.js';

export interface ApiOptions {
  readonly services: Services;
  readonly topics: TopicsPlugin;
  /** Largest body, bytes (--max-payload): larger answers 413. */
  readonly maxBodyBytes: number;
}

type Code = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'TOO_LARGE' | 'UNAVAILABLE';

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function fail(res: ServerResponse, status: number, code: Code, message: string, headers: Record<string, string> = {}): void {
  json(res, status, { error: { code, message } }, headers);
}

const openApiText = JSON.stringify(openApiDocument);

/** Returns the handler for paths under /api/ (the caller routes only those here). */
export function createApiHandler(o: ApiOptions): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const s = o.services;
  const appOfKey = createApiKeyCheck(s.apps.all());
  const log = s.logger.child({ component: 'api' });

  /** A user id the app may address: its own users only. */
  function checkUser(res: ServerResponse, app: ClientApp, userId: string): boolean {
    const check = s.apps.checkRecipient(app, userId);
    if (check === 'ok') return true;
    if (check === 'malformed') fail(res, 400, 'BAD_REQUEST', 'userId must be <appName>-<digits>');
    else fail(res, 403, 'FORBIDDEN', 'a user of another app');
    return false;
  }

  async function body<T>(req: IncomingMessage, res: ServerResponse, schema: z.ZodType<T>): Promise<T | undefined> {
    const read = await readJsonBody(req, o.maxBodyBytes);
    if (!read.ok) {
      fail(res, read.status, read.status === 413 ? 'TOO_LARGE' : 'BAD_REQUEST', read.message, read.status === 413 ? { connection: 'close' } : {});
      return undefined;
    }
    const parsed = schema.safeParse(read.value);
    if (!parsed.success) {
      fail(res, 400, 'BAD_REQUEST', describeIssue(parsed.error));
      return undefined;
    }
    return parsed.data;
  }

  function unavailable(res: ServerResponse, what: string, err: unknown): void {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, `api: ${what} failed`);
    s.metrics.backendError(what);
    fail(res, 503, 'UNAVAILABLE', `${what} unavailable; nothing was done, retry later`);
  }

  async function publish(req: IncomingMessage, res: ServerResponse, app: ClientApp): Promise<void> {
    const b = await body(req, res, publishBody);
    if (b === undefined) return;
    try {
      const r = await o.topics.publish(app.appId, b.topic, b.data);
      if (r.ok) json(res, 200, { ok: true });
      else if (r.code === 'TOO_LARGE') fail(res, 413, 'TOO_LARGE', r.message);
      else fail(res, 400, 'BAD_REQUEST', r.message);
    } catch (err) {
      unavailable(res, 'bus', err);
    }
  }

  async function send(req: IncomingMessage, res: ServerResponse, app: ClientApp): Promise<void> {
    const b = await body(req, res, sendBody);
    if (b === undefined || !checkUser(res, app, b.to)) return;
    if (exceedsDepth(b.content, s.limits.decode.maxContentDepth)) return fail(res, 400, 'BAD_REQUEST', `content nested deeper than ${s.limits.decode.maxContentDepth}`);
    const feature = b.feature ?? 'RELIABLE';
    try {
      const id = await s.router.sendFromServer(app, asUserId(b.to), JSON.stringify(b.content), feature);
      json(res, 200, { id });
    } catch (err) {
      unavailable(res, feature === 'RELIABLE' ? 'store' : 'bus', err);
    }
  }

  async function disconnect(req: IncomingMessage, res: ServerResponse, app: ClientApp): Promise<void> {
    const b = await body(req, res, disconnectBody);
    if (b === undefined || !checkUser(res, app, b.userId)) return;
    const userId = asUserId(b.userId);
    try {
      // The count is presence's, read before the close goes out: the connections the user held
      // cluster-wide at that moment, each of which the close reaches (every node holding one is
      // subscribed to the user's channel).
      const closed = await s.presence.connectionCount(userId);
      const { code, reason } = Disconnect.DisconnectedByServer;
      await s.publisher.publishHanded(userChannel(userId), { kind: 'close', origin: s.nodeId, to: userId, code, reason });
      log.info({ userId, closed }, 'api: user disconnected');
      json(res, 200, { closed });
    } catch (err) {
      unavailable(res, 'bus', err);
    }
  }

  async function user(res: ServerResponse, app: ClientApp, raw: string): Promise<void> {
    let userId: string;
    try {
      userId = decodeURIComponent(raw);
    } catch {
      return fail(res, 400, 'BAD_REQUEST', 'userId is not valid URL encoding');
    }
    if (!checkUser(res, app, userId)) return;
    try {
      const connections = await s.presence.connectionCount(asUserId(userId));
      json(res, 200, { userId, online: connections > 0, connections });
    } catch (err) {
      unavailable(res, 'presence', err);
    }
  }

  async function nodes(res: ServerResponse): Promise<void> {
    try {
      const list = await s.presence.nodes();
      json(res, 200, { nodes: list.map((n) => ({ nodeId: n.nodeId, connections: n.connections, expiresAt: n.expiresAt })) });
    } catch (err) {
      unavailable(res, 'presence', err);
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/api/openapi.json') {
      if (method !== 'GET' && method !== 'HEAD') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use GET', { allow: 'GET, HEAD' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(openApiText), 'cache-control': 'no-cache' });
      res.end(openApiText);
      return;
    }
    const post = path === '/api/publish' || path === '/api/send' || path === '/api/disconnect';
    const get = path === '/api/nodes' || (path.startsWith('/api/users/') && path.length > '/api/users/'.length && !path.slice(11).includes('/'));
    if (!post && !get) return fail(res, 404, 'NOT_FOUND', 'no such API path');
    if (post && method !== 'POST') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use POST', { allow: 'POST' });
    if (get && method !== 'GET') return fail(res, 405, 'METHOD_NOT_ALLOWED', 'use GET', { allow: 'GET' });
    const app = appOfKey(req.headers.authorization);
    if (app === undefined) return fail(res, 401, 'UNAUTHORIZED', 'a valid API key is required: Authorization: Bearer <apiKey>', { 'www-authenticate': 'Bearer' });
    switch (path) {
      case '/api/publish':
        return publish(req, res, app);
      case '/api/send':
        return send(req, res, app);
      case '/api/disconnect':
        return disconnect(req, res, app);
      case '/api/nodes':
        return nodes(res);
      default:
        return user(res, app, path.slice('/api/users/'.length));
    }
  }

  return (req, res, path) => {
    route(req, res, path).catch((err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'api: request failed');
      if (!res.headersSent) fail(res, 503, 'UNAVAILABLE', 'request failed');
      else res.destroy();
    });
  };
}
