/**
 * ProxyServer: the HTTP side of the proxy. Owns the HTTP server and its upgrade limits, routes
 * each upgrade to its connectionId's ProxyContext (new, resume, takeover), adds x-connection-id,
 * serves /healthz, /readyz and /metrics, and drains everything on stop().
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ProxyClose } from './proxy-close-codes.js';
import { ProxyContext } from './proxy-context.js';
import type { ContextHost } from './proxy-context-ports.js';
import { noopProxyMetrics, silentProxyLogger, type ProxyLogger, type ProxyMetrics } from './proxy-ports.js';
import { ProxySession, type Backoff } from './proxy-session.js';
import { rejectUpgrade } from './reject-upgrade.js';
import { buildUpstreamUrl, CONNECTION_ID_HEADER, forwardHeaders, offeredProtocols, parseClientTarget } from './upstream-request.js';

/** Settings of the proxy (the `switchboard proxy` flags, in their units). */
export interface ProxyServerOptions {
  /** Upstream WebSocket URL; the client's path and query are appended. */
  readonly upstreamUrl: string;
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  readonly retryIntervalMs: number;
  readonly maxRetries: number;
  readonly backoff: Backoff;
  readonly maxRetryIntervalMs: number;
  /** Upstream opening-handshake timeout, ms. */
  readonly connectTimeoutMs: number;
  readonly graceMs: number;
  readonly maxQueueFrames: number;
  /** Bound of each direction's queue and of each socket's send buffer, bytes. */
  readonly maxQueueBytes: number;
  /** 0 turns the heartbeat off. */
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** Largest frame on either leg; larger closes that leg with 1009. */
  readonly maxPayloadBytes: number;
  /** Upgrade/HTTP headers must be complete within this many ms. */
  readonly headersTimeoutMs: number;
  readonly logger?: ProxyLogger;
  readonly metrics?: ProxyMetrics;
  /** Serves GET /metrics; without it /metrics answers 404. */
  readonly metricsText?: () => Promise<{ contentType: string; body: string }>;
  /** Jitter source for exponential backoff. @default Math.random */
  readonly random?: () => number;
}

/** Counts for gauges and tests. */
export interface ProxyStats {
  sessions: number;
  clientsAttached: number;
  queuedFrames: { toUpstream: number; toClient: number };
  queuedBytes: { toUpstream: number; toClient: number };
}

// How long stop() waits for close handshakes before destroying what is left.
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * The reconnect proxy (contract §5). Frames pass through as bytes with their text/binary flag,
 * in order, both ways; a lost leg is hidden from the other within the retries and the grace.
 * Every socket has an 'error' listener, so no frame or peer can crash the process.
 */
export class ProxyServer {
  readonly #options: ProxyServerOptions;
  readonly #log: ProxyLogger;
  readonly #metrics: ProxyMetrics;
  readonly #random: () => number;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #contexts = new Map<string, ProxyContext>();
  /** Sessions that ended while their client was away, with the close it missed; kept for one grace. */
  readonly #missed = new Map<string, { close: ProxyClose; untilMs: number }>();
  readonly #host: ContextHost<ProxyContext>;
  readonly #upgrades = new WeakMap<IncomingMessage, { id: string; protocol: string | undefined }>();
  readonly #sockets = new Set<WebSocket>();
  #onSocketsGone: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ProxyServerOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentProxyLogger;
    this.#metrics = options.metrics ?? noopProxyMetrics;
    this.#random = options.random ?? Math.random;
    this.#host = {
      settings: options,
      metrics: this.#metrics,
      upgrade: (ctx, req, socket, head) => this.#upgrade(ctx, req, socket, head),
      track: (ws) => this.#track(ws),
      ended: (ctx, unannounced) => {
        if (this.#contexts.get(ctx.id) === ctx) this.#contexts.delete(ctx.id);
        if (unannounced !== undefined) this.#remember(ctx.id, unannounced);
      },
    };
    this.#http = createServer(
      {
        headersTimeout: options.headersTimeoutMs,
        requestTimeout: options.headersTimeoutMs * 2,
        connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(options.headersTimeoutMs / 4))),
      },
      (req, res) => void this.#onRequest(req, res),
    );
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxPayloadBytes,
      handleProtocols: (_offered, req) => this.#upgrades.get(req)?.protocol ?? false,
    });
    this.#wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const info = this.#upgrades.get(req);
      if (info !== undefined) headers.push(`${CONNECTION_ID_HEADER}: ${info.id}`);
    });
    this.#wss.on('error', (err) => this.#log.error({ err }, 'websocket server error'));
  }

  /** Starts listening. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#options.port, this.#options.host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    this.#http.on('error', (err) => this.#log.error({ err }, 'http server error'));
    const address = this.#http.address() as AddressInfo;
    return { host: this.#options.host, port: address.port };
  }

  /** True until stop() is called (GET /readyz). */
  get ready(): boolean {
    return this.#stopping === undefined && this.#http.listening;
  }

  /** Sessions, attached clients and queued frames and bytes, summed over all sessions. */
  stats(): ProxyStats {
    const stats: ProxyStats = { sessions: 0, clientsAttached: 0, queuedFrames: { toUpstream: 0, toClient: 0 }, queuedBytes: { toUpstream: 0, toClient: 0 } };
    for (const ctx of this.#contexts.values()) {
      const q = ctx.session.queued;
      stats.sessions += 1;
      if (ctx.session.clientState === 'attached') stats.clientsAttached += 1;
      stats.queuedFrames.toUpstream += q.toUpstreamFrames;
      stats.queuedFrames.toClient += q.toClientFrames;
      stats.queuedBytes.toUpstream += q.toUpstreamBytes;
      stats.queuedBytes.toClient += q.toClientBytes;
    }
    return stats;
  }

  /**
   * Stops accepting, closes every client with 1001 and every upstream with 1001, waits for the
   * close handshakes (at most 5 s, then destroys what is left) and clears every timer.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  async #drain(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeIdleConnections();
    for (const ctx of [...this.#contexts.values()]) ctx.shutdown();
    if (this.#sockets.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onSocketsGone = resolve;
        timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      });
      clearTimeout(timer);
      this.#onSocketsGone = undefined;
      for (const ws of this.#sockets) ws.terminate();
    }
    this.#http.closeAllConnections();
    await closed;
    this.#log.info({}, 'proxy stopped');
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { status: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/readyz') return this.ready ? json(200, { status: 'ready' }) : json(503, { status: 'draining' });
    if (path === '/metrics' && this.#options.metricsText !== undefined) {
      try {
        const { contentType, body } = await this.#options.metricsText();
        res.writeHead(200, { 'content-type': contentType }).end(body);
      } catch (err) {
        this.#log.error({ err }, 'metrics failed');
        json(500, { status: 'metrics failed' });
      }
      return;
    }
    json(404, { status: 'not found' });
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that resets during the handshake must not become an unhandled 'error'.
    socket.on('error', (err) => this.#log.debug({ err }, 'upgrade socket error'));
    if (this.#stopping !== undefined) return rejectUpgrade(socket, 503, 'proxy shutting down');
    if (!isWebSocketHandshake(req)) return rejectUpgrade(socket, 400, 'not a valid WebSocket upgrade');
    const target = parseClientTarget(req.url ?? '/');
    if (!target.ok) return rejectUpgrade(socket, 400, target.message);
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    const existing = target.connectionId === undefined ? undefined : this.#contexts.get(target.connectionId);
    if (existing !== undefined) {
      if (!existing.settled) return rejectUpgrade(socket, 409, 'connectionId is still connecting');
      if (existing.protocol !== undefined && !offered.includes(existing.protocol)) {
        return rejectUpgrade(socket, 400, 'subprotocol differs from the one this connectionId agreed');
      }
      return this.#upgrade(existing, req, socket, head);
    }
    const missed = target.connectionId === undefined ? undefined : this.#takeMissed(target.connectionId);
    if (missed !== undefined) {
      // The client's session ended while it was away: it learns how (1011, 1013) instead of
      // silently getting a fresh upstream. The next connect with the id starts a new session.
      this.#upgrades.set(req, { id: target.connectionId!, protocol: offered[0] });
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        this.#track(ws);
        ws.on('error', (err) => this.#log.debug({ err }, 'client socket error'));
        ws.close(missed.code, missed.reason);
      });
      return;
    }
    const id = target.connectionId ?? randomBytes(16).toString('base64url');
    const session = new ProxySession({
      retryIntervalMs: this.#options.retryIntervalMs,
      maxRetries: this.#options.maxRetries,
      backoff: this.#options.backoff,
      maxRetryIntervalMs: this.#options.maxRetryIntervalMs,
      graceMs: this.#options.graceMs,
      maxQueueFrames: this.#options.maxQueueFrames,
      maxQueueBytes: this.#options.maxQueueBytes,
      random: this.#random,
    });
    const upstream = {
      url: buildUpstreamUrl(this.#options.upstreamUrl, target.path, target.query),
      headers: forwardHeaders(req.headers, id, req.socket.remoteAddress),
      offered,
    };
    const ctx = new ProxyContext(id, session, upstream, this.#log.child({ connectionId: id }), this.#host);
    this.#contexts.set(id, ctx);
    this.#metrics.sessionStarted();
    ctx.begin(req, socket, head);
  }

  #upgrade(ctx: ProxyContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgrades.set(req, { id: ctx.id, protocol: ctx.protocol });
    this.#wss.handleUpgrade(req, socket, head, (ws) => ctx.attachClient(ws));
  }

  #remember(id: string, close: ProxyClose): void {
    if (this.#options.graceMs <= 0) return;
    const nowMs = Date.now();
    for (const [key, entry] of this.#missed) if (entry.untilMs <= nowMs) this.#missed.delete(key);
    this.#missed.set(id, { close, untilMs: nowMs + this.#options.graceMs });
  }

  #takeMissed(id: string): ProxyClose | undefined {
    const entry = this.#missed.get(id);
    if (entry === undefined) return undefined;
    this.#missed.delete(id);
    return entry.untilMs > Date.now() ? entry.close : undefined;
  }

  #track(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.once('close', () => {
      this.#sockets.delete(ws);
      if (this.#sockets.size === 0) this.#onSocketsGone?.();
    });
  }
}

/**
 * The checks ws makes before completing a handshake, made before the upstream is dialled, so a
 * request ws would refuse never opens an upstream leg.
 */
function isWebSocketHandshake(req: IncomingMessage): boolean {
  const key = req.headers['sec-websocket-key'];
  const version = req.headers['sec-websocket-version'];
  return (
    req.method === 'GET' &&
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key.trim()) &&
    (version === '13' || version === '8')
  );
}
