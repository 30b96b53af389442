/**
 * createGateway: the `serve` shell. HTTP server with /healthz, /readyz, /metrics; WebSocket
 * upgrades on /ws (max payload → 1009, Origin allowlist, handshake timeouts); one sweep timer for
 * heartbeats and the auth deadline; graceful stop (1001, flush, close backends).
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Disconnect } from '../protocol/close-codes.js';
import { defaultDecodeLimits } from '../protocol/frames.js';
import { ClientApps, type ClientAppConfig } from '../core/client-apps.js';
import { Hub } from '../core/hub.js';
import { asConnectionId, asNodeId } from '../core/ids.js';
import type { AuthVerifier, Bus, Clock, Lease, Logger, MessageStore, Presence } from '../core/ports.js';
import type { Plugin } from '../core/plugin.js';
import type { Connection } from '../core/connection.js';
import type { FrameModule, ParsedFrame } from '../core/frames/frame-module.js';
import { WebhookAuthVerifier } from './auth-webhook.js';
import { WsConnection } from './connection.js';
import { createHttpHandler } from './http-routes.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { timerScheduler } from './scheduler.js';
import { encodeMessageUtf8 } from './wire/encode-message-utf8.js';

/** The slice of `serve`'s configuration the gateway uses (ServeConfig satisfies it). */
export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly nodeId?: string | undefined;
  readonly maxPayload: number;
  readonly maxBufferedBytes: number;
  readonly authTimeoutMs: number;
  readonly authDeadlineMs: number;
  readonly maxErrorsBeforeAuth: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxFetchCount: number;
  readonly maxGroupSize: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerUser: number;
  readonly rateLimit: number;
  readonly reliableHoldMs: number;
  readonly presenceTtlMs: number;
  readonly allowedOrigins: readonly string[];
  readonly headersTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly clientApps: readonly ClientAppConfig[];
}

export interface GatewayBackends {
  readonly bus: Bus;
  readonly presence: Presence;
  readonly store: MessageStore;
  /** Elects one holder per name cluster-wide (SSE bridges, per-user jobs, the version poll). */
  readonly lease: Lease;
  /**
   * Verifies AUTH_CLIENT credentials per app.
   * @default the auth webhook of apps with `authEnabled` (others admit every user of theirs)
   */
  readonly auth?: AuthVerifier;
  /** Frame types beyond contract §3, each one module (core/frames/). */
  readonly frames?: readonly FrameModule<ParsedFrame>[];
  /** Capabilities plugged into the core (core/plugin.ts): topics, commands and jobs, identity, … */
  readonly plugins?: readonly Plugin[];
}

export interface Gateway {
  /** Starts the backends, then listens. Resolves with the bound address. */
  start(): Promise<{ host: string; port: number }>;
  /** Stops accepting, closes every client with 1001, flushes and closes the backends. Idempotent. */
  stop(): Promise<void>;
  readonly metrics: GatewayMetrics;
  readonly hub: Hub;
}

/** A socket carries its core connection, so that its listeners can be shared rather than made per connection. */
const SESSION = Symbol('switchboard.connection');
type SessionSocket = WebSocket & { [SESSION]: Connection };

export function createGateway(options: GatewayOptions, backends: GatewayBackends, logger: Logger, clock: Clock = Date.now): Gateway {
  const nodeId = asNodeId(options.nodeId ?? randomUUID().slice(0, 8));
  const log = logger.child({ nodeId });
  // Per-connection child loggers are only built when their level is on (they cost memory per connection).
  const debug = logger.isLevelEnabled('debug');
  const metrics = createGatewayMetrics();
  const hub = new Hub({
    nodeId,
    apps: new ClientApps(options.clientApps),
    bus: backends.bus,
    presence: backends.presence,
    store: backends.store,
    lease: backends.lease,
    auth: backends.auth ?? new WebhookAuthVerifier(options.authTimeoutMs, log),
    clock,
    scheduler: timerScheduler,
    encodeMessage: encodeMessageUtf8,
    ...(backends.frames === undefined ? {} : { frames: backends.frames }),
    ...(backends.plugins === undefined ? {} : { plugins: backends.plugins }),
    logger: log,
    metrics,
    limits: {
      maxFetchCount: options.maxFetchCount,
      defaultFetchCount: Math.min(100, options.maxFetchCount),
      maxConnectionsPerUser: options.maxConnectionsPerUser,
      rateLimitPerSec: options.rateLimit,
      maxErrorsBeforeAuth: options.maxErrorsBeforeAuth,
      maxBacklogFrames: 100,
      decode: { ...defaultDecodeLimits, maxGroupSize: options.maxGroupSize },
      reliableHoldMs: options.reliableHoldMs,
      presenceTtlMs: options.presenceTtlMs,
    },
  });
  metrics.gauge('switchboard_inflight_entries', 'RELIABLE entries written and awaiting proof of receipt', () => hub.inFlightCount);
  metrics.gauge('switchboard_backend_pending_operations', 'Store and bus operations not yet settled', () => hub.backgroundCount);

  const allBackends = [backends.store, backends.bus, backends.presence, backends.lease];
  const roles = { store: backends.store, bus: backends.bus, presence: backends.presence, lease: backends.lease };
  /** Open sockets (for the connection cap and the drain on stop); each carries its session. */
  const connections = new Set<WebSocket>();
  let stopping = false;
  let started = false;
  let stopped: Promise<void> | undefined;
  let sweep: NodeJS.Timeout | undefined;

  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.headersTimeoutMs + 5_000,
      connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs),
      maxHeaderSize: 16_384,
    },
    createHttpHandler({
      registry: metrics.registry,
      readiness: () => {
        const states = Object.fromEntries(Object.entries(roles).map(([role, b]) => [`${role}:${b.name}`, b.isReady()]));
        return { ready: started && !stopping && allBackends.every((b) => b.isReady()), backends: states };
      },
    }),
  );
  /** Answers a raw socket with a bare HTTP status and closes it; one that cannot be written is destroyed. */
  function abortHandshake(socket: Socket, status: number): void {
    if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  }

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed or timed-out HTTP (slow-loris handshakes): answer if we still can, never crash.
    abortHandshake(socket, err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false, clientTracking: false });

  function onRawSocketError(err: Error): void {
    log.debug({ err: err.message }, 'upgrade socket error');
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', onRawSocketError);
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') return abortHandshake(socket, 404);
    if (stopping || connections.size >= options.maxConnections) return abortHandshake(socket, 503);
    const origin = req.headers.origin;
    if (options.allowedOrigins.length > 0 && origin !== undefined && !options.allowedOrigins.includes(origin)) return abortHandshake(socket, 403);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
  });

  function onConnection(ws: WebSocket, socket: Socket): void {
    const id = asConnectionId(randomUUID());
    const connection = new WsConnection(id, ws, socket, options.maxBufferedBytes, clock);
    connections.add(ws);
    (ws as SessionSocket)[SESSION] = hub.openConnection(connection);
    ws.on('message', onMessage);
    // Every socket has an error listener: a protocol error (oversize → 1009, bad UTF-8 → 1007,
    // bad framing → 1002) closes that socket and nothing else.
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  // The socket listeners are shared by all connections (`this` is the socket): no closures per connection.
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
    connections.delete(this);
    (session.wire as WsConnection).socketClosed();
    hub.closeConnection(session, code);
    if (debug) session.log.debug({ code }, 'connection closed');
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
      server.listen(options.port, options.host, () => {
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
    const address = server.address() as AddressInfo;
    log.info({ host: options.host, port: address.port }, 'gateway started');
    return { host: options.host, port: address.port };
  }

  async function stopOnce(): Promise<void> {
    stopping = true;
    if (sweep !== undefined) clearInterval(sweep);
    const closedServer = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await hub.shutdown();
    // Wait for clients to finish the close handshake, then cut whatever is left.
    const deadline = clock() + options.drainTimeoutMs;
    while (connections.size > 0 && clock() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of connections) ws.terminate();
    await hub.settle();
    await hub.leave();
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
  };
}
