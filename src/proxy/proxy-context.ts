/**
 * ProxyContext: one connectionId's two sockets (the seed's Context). Wires the client leg and
 * the upstream leg to their ProxySession, executes the commands it returns, and owns the legs'
 * heartbeats and the session's retry and grace timers. Knows nothing about HTTP.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import type { Frame } from './frame-queue.js';
import { Heartbeat } from './heartbeat.js';
import { ProxyCloses, type ProxyClose } from './proxy-close-codes.js';
import type { ContextHost, UpstreamTarget } from './proxy-context-ports.js';
import { HeldUpgrade } from './held-upgrade.js';
import type { ProxyLogger, UpstreamLossReason } from './proxy-ports.js';
import { closeSocket, dialUpstream, reportSessionEnd, sendFrame, sendWhileOpen } from './proxy-legs.js';
import { SessionTimers } from './session-timers.js';
import type { ProxySession } from './proxy-session.js';
import { isNormalClose, type Leg, type SessionCommand } from './proxy-session-types.js';

export type { ContextHost, ContextSettings, UpstreamTarget } from './proxy-context-ports.js';

/**
 * One proxied connection. Events from a socket that is no longer the current leg are ignored,
 * so a replaced or abandoned socket can never touch the session. No frame is written into a
 * socket known to be closing.
 */
export class ProxyContext {
  readonly id: string;
  readonly session: ProxySession;
  readonly #target: UpstreamTarget;
  readonly #log: ProxyLogger;
  readonly #host: ContextHost<ProxyContext>;
  /** Bound of each socket's unsent buffer, bytes (settings.maxQueueBytes). */
  readonly #maxBuffered: number;
  #protocol: string | undefined;
  #settled = false;
  /** A new client's upgrade, waiting for the first upstream dial. */
  readonly #held = new HeldUpgrade();
  #client: WebSocket | undefined;
  #upstream: WebSocket | undefined;
  #upstreamOpened = false;
  #clientBeat: Heartbeat | undefined;
  #upstreamBeat: Heartbeat | undefined;
  readonly #timers = new SessionTimers();

  constructor(id: string, session: ProxySession, target: UpstreamTarget, log: ProxyLogger, host: ContextHost<ProxyContext>) {
    this.id = id;
    this.session = session;
    this.#target = target;
    this.#log = log;
    this.#host = host;
    this.#maxBuffered = host.settings.maxQueueBytes;
  }

  /** True once the first upstream dial opened or failed; before that a second client gets 409. */
  get settled(): boolean {
    return this.#settled;
  }

  /** The subprotocol agreed with the client (undefined: none). */
  get protocol(): string | undefined {
    return this.#protocol;
  }

  /** Starts the session for a new client: its upgrade waits for the first upstream dial. */
  begin(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The client hung up while its upgrade waited for the first upstream dial.
    this.#held.hold(req, socket, head, () => this.#run(this.session.clientDropped()));
    this.#log.debug({ upstream: this.#target.url }, 'session started');
    this.#run(this.session.start());
  }

  /** The proxy is stopping: both legs get 1001. */
  shutdown(): void {
    this.#run(this.session.shutdown());
  }

  /** A client socket finished its upgrade: first connect, resume, or a takeover of the id. */
  attachClient(ws: WebSocket): void {
    this.#held.release();
    this.#host.track(ws);
    ws.on('error', (err) => this.#log.debug({ err, leg: 'client' }, 'client socket error'));
    if (this.session.ended) {
      closeSocket(ws, ProxyCloses.SessionEnded);
      return;
    }
    const previous = this.#client;
    if (previous !== undefined) {
      // Newest wins: the older socket is closed with 4000 before the newer one is attached.
      this.#detachClient();
      closeSocket(previous, ProxyCloses.Replaced);
      this.#log.debug({}, 'client replaced by a newer connection');
    }
    if (this.session.clientState === 'absent' || previous !== undefined) {
      this.#host.metrics.clientResumed();
      this.#log.debug({}, 'client resumed');
    }
    this.#client = ws;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.#client !== ws) return;
      if (this.#forwarded(this.#upstream, this.session.canForwardToUpstream, 'upstream', data as Buffer, isBinary)) return;
      this.#run(this.session.clientMessage({ data: data as Buffer, isBinary }));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.#client === ws) this.#clientLost(code, reason.toString());
    });
    const { pingIntervalMs, pongTimeoutMs } = this.#host.settings;
    this.#clientBeat = new Heartbeat(ws, pingIntervalMs, pongTimeoutMs, () => {
      if (this.#client !== ws) return;
      this.#log.debug({ leg: 'client' }, 'client missed its pong');
      ws.terminate();
      this.#clientLost(1006, 'pong timeout');
    });
    this.#run(this.session.clientAttached());
  }

  /** The first dial settled (opened or failed): finish the waiting client's upgrade. */
  #settle(protocol: string | undefined): void {
    this.#settled = true;
    this.#protocol = protocol;
    const pending = this.#held.current;
    if (pending === undefined) return;
    // handleUpgrade either attaches the client at once (which releases it) or refuses the
    // handshake and destroys the socket, whose 'close' then ends the session through onClose.
    this.#host.upgrade(this, pending.req, pending.socket, pending.head);
  }

  #detachClient(): void {
    this.#clientBeat?.stop();
    this.#clientBeat = undefined;
    this.#client = undefined;
  }

  #clientLost(code: number, reason: string): void {
    this.#detachClient();
    if (isNormalClose(code)) {
      this.#log.debug({ code }, 'client closed');
      this.#run(this.session.clientClosedNormally({ code, reason }));
      return;
    }
    this.#host.metrics.clientDropped(reason === 'pong timeout' ? 'pong-timeout' : 'closed');
    this.#log.debug({ code }, 'client dropped');
    this.#run(this.session.clientDropped());
  }

  #dial(attempt: number): void {
    const { settings, metrics } = this.#host;
    if (attempt > 0) metrics.retryAttempted();
    const protocols = this.#settled ? (this.#protocol === undefined ? [] : [this.#protocol]) : [...this.#target.offered];
    const ws = dialUpstream(this.#target, protocols, settings);
    this.#host.track(ws);
    this.#upstream = ws;
    this.#upstreamOpened = false;
    ws.on('error', (err) => this.#log.debug({ err, leg: 'upstream', attempt }, 'upstream socket error'));
    ws.on('open', () => {
      if (this.#upstream !== ws) return;
      this.#upstreamOpened = true;
      this.#upstreamBeat = new Heartbeat(ws, settings.pingIntervalMs, settings.pongTimeoutMs, () => {
        if (this.#upstream !== ws) return;
        this.#log.info({ leg: 'upstream' }, 'upstream missed its pong');
        this.#upstreamLost('pong-timeout');
      });
      if (attempt > 0) {
        metrics.upstreamReconnected();
        this.#log.debug({ attempt }, 'upstream reconnected');
      }
      this.#run(this.session.upstreamOpened(Date.now()));
      if (!this.#settled) this.#settle(ws.protocol === '' ? undefined : ws.protocol);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.#upstream !== ws) return;
      if (this.#forwarded(this.#client, this.session.canForwardToClient, 'client', data as Buffer, isBinary)) return;
      this.#run(this.session.upstreamMessage({ data: data as Buffer, isBinary }));
    });
    ws.on('close', (code: number) => {
      if (this.#upstream !== ws) return;
      const opened = this.#upstreamOpened;
      // A lost upstream is worth an info line; each failed retry only a debug one.
      if (opened) this.#log.info({ code, attempt }, 'upstream lost');
      else this.#log.debug({ code, attempt }, 'upstream dial failed');
      this.#upstreamLost(opened ? (code === 1006 ? 'abnormal' : 'closed') : 'dial-failed');
    });
  }

  #upstreamLost(reason: UpstreamLossReason): void {
    const ws = this.#dropUpstream();
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.#host.metrics.upstreamLost(reason);
    this.#run(this.session.upstreamLost(Date.now()));
    // Upstream down at the client's first connect: accept the client anyway and queue its
    // frames; it gets the first subprotocol it offered, and reconnects offer only that one.
    if (!this.#settled && !this.session.ended) this.#settle(this.#target.offered[0]);
  }

  #dropUpstream(): WebSocket | undefined {
    const ws = this.#upstream;
    this.#upstream = undefined;
    this.#upstreamBeat?.stop();
    this.#upstreamBeat = undefined;
    return ws;
  }

  #run(commands: readonly SessionCommand[]): void {
    for (const command of commands) {
      switch (command.type) {
        case 'dial':
          this.#dial(command.attempt);
          break;
        case 'scheduleRetry':
          this.#log.debug({ attempt: command.attempt, delayMs: command.delayMs }, 'upstream retry scheduled');
          this.#timers.retryAfter(command.delayMs, () => this.#run(this.session.retryDue()));
          break;
        case 'sendUpstream':
          this.#sendUpstream(command.frames);
          break;
        case 'sendClient':
          this.#sendClient(command.frames);
          break;
        case 'startGrace':
          this.#timers.graceFor(command.delayMs, () => this.#run(this.session.graceExpired()));
          break;
        case 'cancelGrace':
          this.#timers.cancelGrace();
          break;
        case 'closeClient':
          this.#closeClient(command.close);
          break;
        case 'closeUpstream': {
          const ws = this.#dropUpstream();
          if (ws !== undefined) closeSocket(ws, command.close);
          break;
        }
        case 'end': {
          this.#timers.clear();
          reportSessionEnd(command, this.#host.metrics, this.#log);
          this.#host.ended(this, command.unannounced);
          break;
        }
      }
    }
  }

  #closeClient(close: ProxyClose): void {
    if (this.#held.refuse(close.code === 1001 ? 503 : 502, close.reason)) return;
    const ws = this.#client;
    this.#detachClient();
    if (ws !== undefined) closeSocket(ws, close);
  }

  /** Sends in order; an upstream found closing is a loss, and the rest is queued again. */
  #sendUpstream(frames: readonly Frame[]): void {
    const sent = sendWhileOpen(this.#upstream, frames);
    if (sent < frames.length) {
      if (this.#upstream !== undefined) this.#upstreamLost('closed');
      for (const frame of frames.slice(sent)) this.#run(this.session.clientMessage(frame));
      return;
    }
    this.#checkBuffer(this.#upstream, 'upstream');
  }

  /** Sends in order; a client found closing gets the rest queued until its close code is known. */
  #sendClient(frames: readonly Frame[]): void {
    const sent = sendWhileOpen(this.#client, frames);
    if (sent < frames.length) {
      const ws = this.#client;
      // The client's close is under way: its 'close' event then decides between a normal
      // end (1000) and a drop (grace).
      if (ws !== undefined && ws.readyState === WebSocket.CLOSING) this.#run(this.session.clientClosing());
      else if (ws !== undefined) this.#clientLost(1006, 'socket closed');
      for (const frame of frames.slice(sent)) this.#run(this.session.upstreamMessage(frame));
      return;
    }
    this.#checkBuffer(this.#client, 'client');
  }

  /**
   * The fast path, the steady state: `to` is open and the session has nothing queued for it
   * (`allowed`). The same send, socket check and buffer bound as #sendUpstream / #sendClient of
   * one frame, without building the frame and the command. False: the session must decide.
   */
  #forwarded(to: WebSocket | undefined, allowed: boolean, leg: Leg, data: Buffer, isBinary: boolean): boolean {
    if (to === undefined || to.readyState !== WebSocket.OPEN || !allowed) return false;
    sendFrame(to, data, isBinary);
    this.#checkBuffer(to, leg);
    return true;
  }

  /** A leg whose unsent buffer passed the bound is not reading: the session ends with 1013. */
  #checkBuffer(ws: WebSocket | undefined, leg: Leg): void {
    if (ws !== undefined && ws.bufferedAmount > this.#maxBuffered) this.#run(this.session.sendBufferFull(leg));
  }
}
