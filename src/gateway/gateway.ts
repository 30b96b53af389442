/**
 * createGateway: the `serve` shell. HTTP server with /healthz, /readyz, /metrics; WebSocket
 * upgrades on /ws (max payload → 1009, Origin allowlist, handshake timeouts); one sweep timer for
 * heartbeats and the auth deadline; graceful stop (1001, flush, close backends).
 */
import { randomUUID } from 'node:crypto';
import { watchHandshakes } from './handshake-deadline.js';
import { connectionIds } from './connection-ids.js';
import { Admission } from './admission.js';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Disconnect } from '../protocol/close-codes.js';
import { asNodeId } from '../core/ids.js';
import type { Clock, Logger } from '../core/ports.js';
import type { Connection } from '../core/connection.js';
import { closeCodeOf, gatewaySocketClass, WsConnection, wsSettings } from './connection.js';
import { backchannelLogoutRoute } from './backchannel-logout.js';
import { createConsoleRoutes } from './console-routes.js';
import { createHttpHandler, type HttpRoute } from './http-routes.js';
import { createApiHandler } from './api/api-routes.js';
import { createGatewayCore } from './gateway-core.js';
import type { Gateway, GatewayBackends, GatewayOptions } from './gateway-options.js';
import { createGatewayMetrics } from './metrics.js';
import { createConsoleStats } from './stats.js';
import { startRetention, type Retention } from './retention.js';
// Loaded for its effect: socket stream states get room for all their fields (see stream-shape.ts).
import './stream-shape.js';

/** Asked for as the accept queue's length: as long as the system allows (net.core.somaxconn). */
const LISTEN_BACKLOG = 65_535;

export type { Gateway, GatewayBackends, GatewayOptions } from './gateway-options.js';

/** A socket carries its core connection, so that its listeners can be shared rather than made per connection. */
const SESSION = Symbol('switchboard.connection');
type SessionSocket = WebSocket & { [SESSION]: Connection };

export function createGateway(options: GatewayOptions, backends: GatewayBackends, logger: Logger, clock: Clock = Date.now): Gateway {
  const nodeId = asNodeId(options.nodeId ?? randomUUID().slice(0, 8));
  const log = logger.child({ nodeId });
  // Per-connection child loggers are only built when their level is on (they cost memory per connection).
  const debug = logger.isLevelEnabled('debug');
  const metrics = createGatewayMetrics();
  const { hub, topics, identity } = createGatewayCore(options, backends, { nodeId, log, metrics, clock });

  const allBackends = [backends.store, backends.bus, backends.presence, backends.lease];
  const roles = { store: backends.store, bus: backends.bus, presence: backends.presence, lease: backends.lease };
  let stopping = false;
  let started = false;
  let stopped: Promise<void> | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const consoleStats = createConsoleStats({
    registry: metrics.registry,
    nodeId,
    backends: roles,
    nodes: () => backends.presence.nodes(),
    clock,
  });
  let retention: Retention | undefined;

  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.headersTimeoutMs + 5_000,
      connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs),
      maxHeaderSize: 16_384,
    },
    createHttpHandler({
      registry: metrics.registry,
      routes: [
        apiRoute(createApiHandler({ services: hub.services, topics, maxBodyBytes: options.maxPayload })),
        createConsoleRoutes({ stats: consoleStats, consoleToken: options.consoleToken }),
        backchannelLogoutRoute(backends.logoutTokens, (l) => identity.logout(l), log),
        ...(backends.routes ?? []),
      ],
      readiness: () => {
        const states = Object.fromEntries(Object.entries(roles).map(([role, b]) => [`${role}:${b.name}`, b.isReady()]));
        if (admission.nearFdLimit) states['file-descriptors'] = false;
        return { ready: started && !stopping && !admission.nearFdLimit && allBackends.every((b) => b.isReady()), backends: states };
      },
    }),
  );
  /** Answers a raw socket with a bare HTTP status and closes it; one that cannot be written is destroyed. */
  function abortHandshake(socket: Socket, status: number, retryAfterS?: number): void {
    const retry = retryAfterS === undefined ? '' : `Retry-After: ${retryAfterS}\r\n`;
    if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n${retry}Content-Length: 0\r\n\r\n`);
    else socket.destroy();
  }

  const admission = new Admission(server, metrics.registry, log, options.maxPendingAuth);
  // Node counts its headers timeout from a request's first byte; this one counts from the accept.
  const stopHandshakeWatch = watchHandshakes(server, options.headersTimeoutMs, (socket) => abortHandshake(socket, 408));

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed or timed-out HTTP (slow-loris handshakes): answer if we still can, never crash.
    abortHandshake(socket, err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false, clientTracking: false, WebSocket: gatewaySocketClass(options.maxPayload, onPong) });

  function onRawSocketError(err: Error): void {
    log.debug({ err: err.message }, 'upgrade socket error');
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', onRawSocketError);
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') return abortHandshake(socket, 404);
    if (stopping || hub.connections.size >= options.maxConnections) return abortHandshake(socket, 503);
    if (admission.check() !== undefined) return abortHandshake(socket, 503, 1 + Math.floor(Math.random() * 5));
    const origin = req.headers.origin;
    if (options.allowedOrigins.length > 0 && origin !== undefined && !options.allowedOrigins.includes(origin)) return abortHandshake(socket, 403);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
  });

  const settings = wsSettings(options.maxBufferedBytes, clock);
  const nextConnectionId = connectionIds();
  function onConnection(ws: WebSocket, socket: Socket): void {
    const id = nextConnectionId();
    const connection = new WsConnection(id, ws, socket, settings, false);
    // ws has its own error listener on the socket now; ours (for the handshake) would only make
    // the socket's listener list an array for its lifetime.
    socket.removeListener('error', onRawSocketError);
    const session = hub.openConnection(connection);
    (ws as SessionSocket)[SESSION] = session;
    admission.track(session, socket);
    ws.on('message', onMessage);
    // Every socket has an error listener: a protocol error (oversize → 1009, bad UTF-8 → 1007,
    // bad framing → 1002) closes that socket and nothing else.
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  // The socket listeners are shared by all connections (`this` is the socket): no closures per connection.
  // Pongs are handed over by the socket class (no 'pong' listener); the connection is found through the session.
  function onPong(socket: WebSocket): void {
    ((socket as Partial<SessionSocket>)[SESSION]?.wire as WsConnection | undefined)?.pongReceived();
  }

  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    const session = (this as SessionSocket)[SESSION];
    (session.wire as WsConnection).heard();
    if (isBinary) session.handleBinary();
    else session.handleUtf8(data);
  }

  function onError(this: WebSocket, err: Error): void {
    if (debug) (this as SessionSocket)[SESSION].log.debug({ err: err.message }, 'connection error');
  }

  function onClose(this: WebSocket, code: number): void {
    const session = (this as SessionSocket)[SESSION];
    admission.forget(session);
    (session.wire as WsConnection).socketClosed();
    // Metrics count the code this server sent (a 1009 it sent is reported to 'close' as 1006).
    hub.closeConnection(session, closeCodeOf(this, code));
    if (debug) session.log.debug({ code: closeCodeOf(this, code) }, 'connection closed');
  }

  function runSweep(): void {
    const now = clock();
    for (const session of hub.connections) {
      const connection = session.wire as WsConnection;
      if (!session.isAuthenticated && options.authDeadlineMs > 0 && now - session.openedAt > options.authDeadlineMs) {
        connection.close(Disconnect.AuthDeadline);
        continue;
      }
      connection.heartbeat(now, options.pingIntervalMs, options.pongTimeoutMs);
    }
  }

  async function start(): Promise<{ host: string; port: number }> {
    for (const backend of allBackends) await backend.start();
    await hub.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The kernel caps the accept queue at net.core.somaxconn; Node's default (511) overflowed in a
      // reconnect storm, and a dropped handshake is retried by the client's TCP only after 1, 3, 7 s.
      server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // After start, a server error (accept failing with EMFILE, say) is logged, never thrown: the
    // connections already open keep working.
    server.on('error', (err) => log.error({ err }, 'http server error'));
    started = true;
    const sweepMs = Math.max(50, Math.min(options.pingIntervalMs || 1_000, options.pongTimeoutMs, options.authDeadlineMs || 1_000) / 2);
    sweep = setInterval(runSweep, sweepMs);
    sweep.unref();
    retention = startRetention({ messageTtlMs: options.messageTtlMs ?? 0, apps: options.clientApps, store: backends.store, registry: metrics.registry, logger: log, clock });
    const address = server.address() as AddressInfo;
    log.info({ host: options.host, port: address.port }, 'gateway started');
    return { host: options.host, port: address.port };
  }

  async function stopOnce(): Promise<void> {
    stopping = true;
    if (sweep !== undefined) clearInterval(sweep);
    stopHandshakeWatch();
    consoleStats.stop();
    const closedServer = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await hub.shutdown();
    // Wait for clients to finish the close handshake, then cut whatever is left.
    const deadline = clock() + options.drainTimeoutMs;
    while (hub.connections.size > 0 && clock() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const session of hub.connections) (session.wire as WsConnection).socket.terminate();
    await hub.settle();
    await hub.leave();
    await retention?.stop();
    for (const backend of allBackends) {
      try {
        await backend.close();
      } catch (err) {
        log.error({ backend: backend.name, err }, 'backend close failed');
      }
    }
    server.closeAllConnections();
    await closedServer;
    log.info({}, 'gateway stopped');
  }

  return {
    start,
    stop: () => (stopped ??= stopOnce()),
    metrics,
    hub,
    topics,
    publish: (appId, topic, data) => topics.publish(appId, topic, data),
  };
}

/** The server API as a route: every path under /api/, whatever the method. */
function apiRoute(api: (req: IncomingMessage, res: ServerResponse, path: string) => void): HttpRoute {
  return (req, res, path) => {
    if (!path.startsWith('/api/')) return false;
    api(req, res, path);
    return true;
  };
}
