/**
 * ProxyServer: the thin shell around ProxySession. It owns the HTTP server, the upgrade
 * (connectionId, x-connection-id, subprotocol picked by the upstream), the sockets of both
 * legs, their heartbeats and every timer, and executes the commands the sessions return.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type ClientOptions, type RawData } from 'ws';
import type { Frame } from './frame-queue.js';
import { Heartbeat } from './heartbeat.js';
import type { ProxyClose } from './proxy-close-codes.js';
import { noopProxyMetrics, silentProxyLogger, type ProxyLogger, type ProxyMetrics, type UpstreamLossReason } from './proxy-ports.js';
import { isNormalClose, ProxySession, type Backoff, type SessionCommand } from './proxy-session.js';
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

interface PendingUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly onClose: () => void;
}

/** Per-connectionId state of the shell; the protocol state lives in `session`. */
interface Context {
  readonly id: string;
  readonly session: ProxySession;
  readonly upstreamUrl: string;
  readonly headers: Record<string, string>;
  readonly offered: readonly string[];
  readonly log: ProxyLogger;
  /** The subprotocol agreed with the client; fixed once the first dial settles. */
  protocol: string | undefined;
  settled: boolean;
  pending: PendingUpgrade | undefined;
  client: WebSocket | undefined;
  upstream: WebSocket | undefined;
  upstreamOpened: boolean;
  clientBeat: Heartbeat | undefined;
  upstreamBeat: Heartbeat | undefined;
  retryTimer: NodeJS.Timeout | undefined;
  graceTimer: NodeJS.Timeout | undefined;
}

// How long a closed leg may take to answer our close frame before its socket is destroyed.
const CLOSE_TIMEOUT_MS = 5_000;
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
  readonly #contexts = new Map<string, Context>();
  readonly #upgrades = new WeakMap<IncomingMessage, { id: string; protocol: string | undefined }>();
  readonly #sockets = new Set<WebSocket>();
  #onSocketsGone: (() => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: ProxyServerOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentProxyLogger;
    this.#metrics = options.metrics ?? noopProxyMetrics;
    this.#random = options.random ?? Math.random;
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
    for (const ctx of [...this.#contexts.values()]) this.#run(ctx, ctx.session.shutdown());
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
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return rejectUpgrade(socket, 400, 'not a WebSocket upgrade');
    const target = parseClientTarget(req.url ?? '/');
    if (!target.ok) return rejectUpgrade(socket, 400, target.message);
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    const existing = target.connectionId === undefined ? undefined : this.#contexts.get(target.connectionId);
    if (existing !== undefined) {
      if (!existing.settled) return rejectUpgrade(socket, 409, 'connectionId is still connecting');
      if (existing.protocol !== undefined && !offered.includes(existing.protocol)) {
        return rejectUpgrade(socket, 400, 'subprotocol differs from the one this connectionId agreed');
      }
      return this.#completeUpgrade(existing, req, socket, head);
    }
    const id = target.connectionId ?? randomBytes(16).toString('base64url');
    const ctx: Context = {
      id,
      session: new ProxySession({
        retryIntervalMs: this.#options.retryIntervalMs,
        maxRetries: this.#options.maxRetries,
        backoff: this.#options.backoff,
        maxRetryIntervalMs: this.#options.maxRetryIntervalMs,
        graceMs: this.#options.graceMs,
        maxQueueFrames: this.#options.maxQueueFrames,
        maxQueueBytes: this.#options.maxQueueBytes,
        random: this.#random,
      }),
      upstreamUrl: buildUpstreamUrl(this.#options.upstreamUrl, target.path, target.query),
      headers: forwardHeaders(req.headers, id, req.socket.remoteAddress),
      offered,
      log: this.#log.child({ connectionId: id }),
      protocol: undefined,
      settled: false,
      pending: undefined,
      client: undefined,
      upstream: undefined,
      upstreamOpened: false,
      clientBeat: undefined,
      upstreamBeat: undefined,
      retryTimer: undefined,
      graceTimer: undefined,
    };
    const onClose = (): void => {
      // The client hung up while its upgrade waited for the first upstream dial.
      if (ctx.pending !== undefined && ctx.pending.socket === socket) {
        ctx.pending = undefined;
        this.#run(ctx, ctx.session.clientDropped());
      }
    };
    ctx.pending = { req, socket, head, onClose };
    socket.once('close', onClose);
    this.#contexts.set(id, ctx);
    this.#metrics.sessionStarted();
    ctx.log.debug({ upstream: ctx.upstreamUrl }, 'session started');
    this.#run(ctx, ctx.session.start());
  }

  /** The first dial settled (opened or failed): finish the client's upgrade. */
  #settle(ctx: Context, protocol: string | undefined): void {
    ctx.settled = true;
    ctx.protocol = protocol;
    const pending = ctx.pending;
    if (pending === undefined) return;
    ctx.pending = undefined;
    pending.socket.off('close', pending.onClose);
    this.#completeUpgrade(ctx, pending.req, pending.socket, pending.head);
  }

  #completeUpgrade(ctx: Context, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgrades.set(req, { id: ctx.id, protocol: ctx.protocol });
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attachClient(ctx, ws));
  }

  #attachClient(ctx: Context, ws: WebSocket): void {
    this.#track(ws);
    ws.on('error', (err) => ctx.log.debug({ err, leg: 'client' }, 'client socket error'));
    if (ctx.session.ended) {
      ws.close(1001, 'proxy session ended');
      return;
    }
    const previous = ctx.client;
    if (previous !== undefined) {
      // Newest wins: the older socket is closed with 4000 before the newer one is attached.
      this.#detachClient(ctx);
      closeSocket(previous, { code: 4000, reason: 'replaced by a newer connection with the same connectionId' });
      ctx.log.info({}, 'client replaced by a newer connection');
    }
    if (ctx.session.clientState === 'absent' || previous !== undefined) {
      this.#metrics.clientResumed();
      ctx.log.debug({}, 'client resumed');
    }
    ctx.client = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ctx.client === ws) this.#run(ctx, ctx.session.clientMessage({ data: data as Buffer, isBinary }));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (ctx.client === ws) this.#clientLost(ctx, code, reason.toString());
    });
    ctx.clientBeat = new Heartbeat(ws, this.#options.pingIntervalMs, this.#options.pongTimeoutMs, () => {
      if (ctx.client !== ws) return;
      ctx.log.info({ leg: 'client' }, 'client missed its pong');
      ws.terminate();
      this.#clientLost(ctx, 1006, 'pong timeout');
    });
    this.#run(ctx, ctx.session.clientAttached());
  }

  #detachClient(ctx: Context): void {
    ctx.clientBeat?.stop();
    ctx.clientBeat = undefined;
    ctx.client = undefined;
  }

  #clientLost(ctx: Context, code: number, reason: string): void {
    this.#detachClient(ctx);
    if (isNormalClose(code)) {
      ctx.log.debug({ code }, 'client closed');
      this.#run(ctx, ctx.session.clientClosedNormally({ code, reason }));
      return;
    }
    this.#metrics.clientDropped(reason === 'pong timeout' ? 'pong-timeout' : 'closed');
    ctx.log.debug({ code }, 'client dropped');
    this.#run(ctx, ctx.session.clientDropped());
  }

  #dial(ctx: Context, attempt: number): void {
    if (attempt > 0) this.#metrics.retryAttempted();
    const protocols = ctx.settled ? (ctx.protocol === undefined ? [] : [ctx.protocol]) : [...ctx.offered];
    const options: ClientOptions & { closeTimeout: number } = {
      headers: ctx.headers,
      handshakeTimeout: this.#options.connectTimeoutMs,
      perMessageDeflate: false,
      maxPayload: this.#options.maxPayloadBytes,
      followRedirects: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
    };
    const ws = new WebSocket(ctx.upstreamUrl, protocols, options);
    this.#track(ws);
    ctx.upstream = ws;
    ctx.upstreamOpened = false;
    ws.on('error', (err) => ctx.log.debug({ err, leg: 'upstream', attempt }, 'upstream socket error'));
    ws.on('open', () => {
      if (ctx.upstream !== ws) return;
      ctx.upstreamOpened = true;
      ctx.upstreamBeat = new Heartbeat(ws, this.#options.pingIntervalMs, this.#options.pongTimeoutMs, () => {
        if (ctx.upstream !== ws) return;
        ctx.log.info({ leg: 'upstream' }, 'upstream missed its pong');
        this.#upstreamLost(ctx, 'pong-timeout');
      });
      if (attempt > 0) {
        this.#metrics.upstreamReconnected();
        ctx.log.info({ attempt }, 'upstream reconnected');
      }
      this.#run(ctx, ctx.session.upstreamOpened(Date.now()));
      if (!ctx.settled) this.#settle(ctx, ws.protocol === '' ? undefined : ws.protocol);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ctx.upstream === ws) this.#run(ctx, ctx.session.upstreamMessage({ data: data as Buffer, isBinary }));
    });
    ws.on('close', (code: number) => {
      if (ctx.upstream !== ws) return;
      ctx.log.info({ code, attempt, opened: ctx.upstreamOpened }, ctx.upstreamOpened ? 'upstream lost' : 'upstream dial failed');
      this.#upstreamLost(ctx, ctx.upstreamOpened ? (code === 1006 ? 'abnormal' : 'closed') : 'dial-failed');
    });
  }

  #upstreamLost(ctx: Context, reason: UpstreamLossReason): void {
    const ws = ctx.upstream;
    ctx.upstream = undefined;
    ctx.upstreamBeat?.stop();
    ctx.upstreamBeat = undefined;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.#metrics.upstreamLost(reason);
    this.#run(ctx, ctx.session.upstreamLost(Date.now()));
    // Upstream down at the client's first connect: accept the client anyway and queue its
    // frames; it gets the first subprotocol it offered, and reconnects offer only that one.
    if (!ctx.settled && !ctx.session.ended) this.#settle(ctx, ctx.offered[0]);
  }

  #run(ctx: Context, commands: readonly SessionCommand[]): void {
    for (const command of commands) {
      switch (command.type) {
        case 'dial':
          this.#dial(ctx, command.attempt);
          break;
        case 'scheduleRetry':
          ctx.log.debug({ attempt: command.attempt, delayMs: command.delayMs }, 'upstream retry scheduled');
          ctx.retryTimer = setTimeout(() => {
            ctx.retryTimer = undefined;
            this.#run(ctx, ctx.session.retryDue());
          }, command.delayMs);
          break;
        case 'sendUpstream':
          this.#sendUpstream(ctx, command.frames);
          break;
        case 'sendClient':
          this.#sendClient(ctx, command.frames);
          break;
        case 'startGrace':
          ctx.graceTimer = setTimeout(() => {
            ctx.graceTimer = undefined;
            this.#run(ctx, ctx.session.graceExpired());
          }, command.delayMs);
          break;
        case 'cancelGrace':
          clearTimeout(ctx.graceTimer);
          ctx.graceTimer = undefined;
          break;
        case 'closeClient':
          this.#closeClient(ctx, command.close);
          break;
        case 'closeUpstream': {
          const ws = ctx.upstream;
          ctx.upstream = undefined;
          ctx.upstreamBeat?.stop();
          ctx.upstreamBeat = undefined;
          if (ws !== undefined) closeSocket(ws, command.close);
          break;
        }
        case 'end':
          clearTimeout(ctx.retryTimer);
          clearTimeout(ctx.graceTimer);
          ctx.retryTimer = undefined;
          ctx.graceTimer = undefined;
          if (this.#contexts.get(ctx.id) === ctx) this.#contexts.delete(ctx.id);
          this.#metrics.sessionEnded(command.reason);
          if (command.discarded.toUpstream > 0) this.#metrics.framesDiscarded('toUpstream', command.discarded.toUpstream);
          if (command.discarded.toClient > 0) this.#metrics.framesDiscarded('toClient', command.discarded.toClient);
          ctx.log.info({ reason: command.reason, discarded: command.discarded }, 'session ended');
          break;
      }
    }
  }

  #closeClient(ctx: Context, close: ProxyClose): void {
    const pending = ctx.pending;
    if (pending !== undefined) {
      ctx.pending = undefined;
      pending.socket.off('close', pending.onClose);
      rejectUpgrade(pending.socket, close.code === 1001 ? 503 : 502, close.reason);
      return;
    }
    const ws = ctx.client;
    this.#detachClient(ctx);
    if (ws !== undefined) closeSocket(ws, close);
  }

  /** Sends in order; a leg found closing is treated as lost and the rest is queued again. */
  #sendUpstream(ctx: Context, frames: readonly Frame[]): void {
    for (let i = 0; i < frames.length; i += 1) {
      const ws = ctx.upstream;
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
        if (ws !== undefined) this.#upstreamLost(ctx, 'closed');
        for (const frame of frames.slice(i)) this.#run(ctx, ctx.session.clientMessage(frame));
        return;
      }
      const frame = frames[i]!;
      ws.send(frame.data, { binary: frame.isBinary });
    }
    if (ctx.upstream !== undefined && ctx.upstream.bufferedAmount > this.#options.maxQueueBytes) {
      this.#run(ctx, ctx.session.sendBufferFull('upstream'));
    }
  }

  #sendClient(ctx: Context, frames: readonly Frame[]): void {
    for (let i = 0; i < frames.length; i += 1) {
      const ws = ctx.client;
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
        // The client's close is under way: queue the rest; its 'close' event then decides
        // between a normal end (1000) and a drop (grace).
        if (ws !== undefined && ws.readyState === WebSocket.CLOSING) this.#run(ctx, ctx.session.clientClosing());
        else if (ws !== undefined) this.#clientLost(ctx, 1006, 'socket closed');
        for (const frame of frames.slice(i)) this.#run(ctx, ctx.session.upstreamMessage(frame));
        return;
      }
      const frame = frames[i]!;
      ws.send(frame.data, { binary: frame.isBinary });
    }
    if (ctx.client !== undefined && ctx.client.bufferedAmount > this.#options.maxQueueBytes) {
      this.#run(ctx, ctx.session.sendBufferFull('client'));
    }
  }

  #track(ws: WebSocket): void {
    this.#sockets.add(ws);
    ws.once('close', () => {
      this.#sockets.delete(ws);
      if (this.#sockets.size === 0) this.#onSocketsGone?.();
    });
  }
}

/** Closes a leg with a code and reason; a leg still connecting is aborted. */
function closeSocket(ws: WebSocket, close: ProxyClose): void {
  if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  else if (ws.readyState === WebSocket.OPEN) ws.close(close.code, close.reason);
}
