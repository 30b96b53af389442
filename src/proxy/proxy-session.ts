/**
 * ProxySession: the pure state machine of one proxied connection (one connectionId): the client
 * leg, the upstream leg, a queue per direction, the retry count and the grace. Pure: no sockets
 * and no timers. It takes events and returns commands; proxy-server.ts executes them.
 */
import { FrameQueue, type Frame } from './frame-queue.js';
import { ProxyCloses, type ProxyClose } from './proxy-close-codes.js';
import type { ClientState, EndReason, Leg, ProxySessionOptions, SessionCommand, UpstreamState } from './proxy-session-types.js';

export type { Backoff, ClientState, Discarded, EndReason, Leg, ProxySessionOptions, SessionCommand, UpstreamState } from './proxy-session-types.js';

const NONE: readonly SessionCommand[] = Object.freeze([]);

/**
 * One proxied connection.
 *
 * Guarantees: frames leave each queue in arrival order, exactly once; a frame is either passed
 * on, queued, or the session ends with a close that names the cause (1011, 1013) — never dropped
 * silently. After an `end` command every event returns no commands.
 */
export class ProxySession {
  readonly #options: ProxySessionOptions;
  readonly #toUpstream: FrameQueue;
  readonly #toClient: FrameQueue;
  #client: ClientState = 'pending';
  #upstream: UpstreamState = 'closed';
  #retriesUsed = 0;
  #openedAtMs: number | undefined;
  #pendingClose: ProxyClose | undefined;
  #unannounced: ProxyClose | undefined;
  #ended = false;

  constructor(options: ProxySessionOptions) {
    this.#options = options;
    const limits = { maxFrames: options.maxQueueFrames, maxBytes: options.maxQueueBytes };
    this.#toUpstream = new FrameQueue(limits);
    this.#toClient = new FrameQueue(limits);
  }

  get clientState(): ClientState {
    return this.#client;
  }

  get upstreamState(): UpstreamState {
    return this.#upstream;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Consecutive failed reconnect attempts so far. */
  get retriesUsed(): number {
    return this.#retriesUsed;
  }

  /**
   * True when a client frame may be sent straight to the upstream without asking the session:
   * the upstream is open and nothing is queued for it. Whenever it is true, `clientMessage(frame)`
   * would return one `sendUpstream` of just that frame and change no state, so the shell's fast
   * path and the command path cannot disagree (order and bounds are the session's as before).
   */
  get canForwardToUpstream(): boolean {
    return !this.#ended && this.#upstream === 'open' && this.#toUpstream.length === 0;
  }

  /**
   * True when an upstream frame may be sent straight to the client without asking the session:
   * a client is attached and nothing is queued for it. Whenever it is true,
   * `upstreamMessage(frame)` would return one `sendClient` of just that frame and change no state.
   */
  get canForwardToClient(): boolean {
    return !this.#ended && this.#client === 'attached' && this.#toClient.length === 0;
  }

  /** Frames and bytes waiting in each direction. */
  get queued(): { toUpstreamFrames: number; toUpstreamBytes: number; toClientFrames: number; toClientBytes: number } {
    return {
      toUpstreamFrames: this.#toUpstream.length,
      toUpstreamBytes: this.#toUpstream.bytes,
      toClientFrames: this.#toClient.length,
      toClientBytes: this.#toClient.bytes,
    };
  }

  /** Called once, when the client's upgrade request arrives: dial the upstream. */
  start(): readonly SessionCommand[] {
    if (this.#ended || this.#upstream !== 'closed') return NONE;
    this.#upstream = 'connecting';
    return [{ type: 'dial', attempt: 0 }];
  }

  /** The upstream leg finished its handshake. Drains the client's queue in order. */
  upstreamOpened(nowMs: number): readonly SessionCommand[] {
    if (this.#ended || this.#upstream !== 'connecting') return NONE;
    this.#upstream = 'open';
    this.#openedAtMs = nowMs;
    const out: SessionCommand[] = [];
    if (this.#toUpstream.length > 0) out.push({ type: 'sendUpstream', frames: this.#toUpstream.takeAll() });
    if (this.#pendingClose !== undefined && this.#client === 'absent') {
      // The client closed normally while frames were still queued: they are delivered first.
      out.push({ type: 'closeUpstream', close: this.#pendingClose });
      this.#end('client-closed', out);
    }
    return out;
  }

  /**
   * The upstream leg closed or failed (any cause the proxy did not ask for: close frame, error,
   * refused or timed-out dial, missed pong). Schedules a reconnect, or ends with 1011 when the
   * retries are spent. An upstream that stayed open at least one retry interval resets the count.
   */
  upstreamLost(nowMs: number): readonly SessionCommand[] {
    if (this.#ended || this.#upstream === 'closed' || this.#upstream === 'waiting') return NONE;
    if (this.#openedAtMs !== undefined && nowMs - this.#openedAtMs >= this.#options.retryIntervalMs) this.#retriesUsed = 0;
    this.#openedAtMs = undefined;
    if (this.#retriesUsed >= this.#options.maxRetries) {
      const out: SessionCommand[] = [];
      this.#upstream = 'closed';
      this.#closeClient(ProxyCloses.RetriesSpent, out);
      this.#end('retries-spent', out);
      return out;
    }
    this.#retriesUsed += 1;
    this.#upstream = 'waiting';
    return [{ type: 'scheduleRetry', attempt: this.#retriesUsed, delayMs: this.retryDelayMs(this.#retriesUsed) }];
  }

  /** The retry timer fired: dial again. */
  retryDue(): readonly SessionCommand[] {
    if (this.#ended || this.#upstream !== 'waiting') return NONE;
    this.#upstream = 'connecting';
    return [{ type: 'dial', attempt: this.#retriesUsed }];
  }

  /** Delay before reconnect attempt `attempt` (1-based), ms. */
  retryDelayMs(attempt: number): number {
    const { retryIntervalMs, maxRetryIntervalMs, backoff, random } = this.#options;
    if (backoff === 'fixed') return retryIntervalMs;
    const base = Math.min(maxRetryIntervalMs, retryIntervalMs * 2 ** Math.min(attempt - 1, 30));
    // "Equal jitter": at least half the base, so clients that lost the same upstream spread out
    // without ever retrying immediately.
    return Math.max(1, Math.round(base / 2 + random() * (base / 2)));
  }

  /**
   * A client socket is attached: the first one (upgrade done), a resume within the grace, or a
   * newer client taking over the connectionId (the shell has already closed the older socket).
   * Drains the upstream's queue to it in order.
   */
  clientAttached(): readonly SessionCommand[] {
    if (this.#ended) return NONE;
    const out: SessionCommand[] = [];
    if (this.#client === 'absent') out.push({ type: 'cancelGrace' });
    this.#client = 'attached';
    this.#pendingClose = undefined;
    if (this.#toClient.length > 0) out.push({ type: 'sendClient', frames: this.#toClient.takeAll() });
    return out;
  }

  /**
   * The client socket was found closing (its close frame may be in flight). Frames for it are
   * queued from now on; `clientClosedNormally` or `clientDropped` follows when it has closed.
   */
  clientClosing(): readonly SessionCommand[] {
    if (!this.#ended && this.#client === 'attached') this.#client = 'closing';
    return NONE;
  }

  /** The client leg is gone without asking (no close frame, error, missed pong, or a code other than 1000). */
  clientDropped(): readonly SessionCommand[] {
    if (this.#ended || this.#client === 'absent') return NONE;
    const out: SessionCommand[] = [];
    if (this.#client === 'pending') {
      this.#closeUpstream(ProxyCloses.ClientGone, out);
      this.#end('client-never-upgraded', out);
      return out;
    }
    this.#client = 'absent';
    if (this.#options.graceMs <= 0) {
      this.#closeUpstream(ProxyCloses.GraceExpired, out);
      this.#end('grace-expired', out);
      return out;
    }
    out.push({ type: 'startGrace', delayMs: this.#options.graceMs });
    return out;
  }

  /**
   * The client closed with 1000: the session ends and the upstream gets the same code and
   * reason. Frames still queued for a reconnecting upstream are delivered first (bounded by the
   * retries and the grace).
   */
  clientClosedNormally(close: ProxyClose): readonly SessionCommand[] {
    if (this.#ended || (this.#client !== 'attached' && this.#client !== 'closing')) return this.clientDropped();
    if (this.#upstream === 'open' || this.#toUpstream.length === 0) {
      const out: SessionCommand[] = [];
      this.#client = 'absent';
      this.#closeUpstream(close, out);
      this.#end('client-closed', out);
      return out;
    }
    this.#pendingClose = close;
    return this.clientDropped();
  }

  /** The grace timer fired with the client still away: close the upstream and forget the session. */
  graceExpired(): readonly SessionCommand[] {
    if (this.#ended || this.#client !== 'absent') return NONE;
    const out: SessionCommand[] = [];
    this.#closeUpstream(ProxyCloses.GraceExpired, out);
    this.#end('grace-expired', out);
    return out;
  }

  /** A frame from the client: passed on while the upstream is open, queued otherwise. */
  clientMessage(frame: Frame): readonly SessionCommand[] {
    if (this.#ended) return NONE;
    if (this.#upstream === 'open') return [{ type: 'sendUpstream', frames: [frame] }];
    if (this.#toUpstream.push(frame)) return NONE;
    const out: SessionCommand[] = [];
    this.#closeClient(ProxyCloses.ClientQueueFull, out);
    this.#closeUpstream(ProxyCloses.SessionEnded, out);
    this.#end('client-queue-full', out);
    return out;
  }

  /** A frame from the upstream: passed on while a client is attached, queued otherwise. */
  upstreamMessage(frame: Frame): readonly SessionCommand[] {
    if (this.#ended) return NONE;
    if (this.#client === 'attached') return [{ type: 'sendClient', frames: [frame] }];
    if (this.#toClient.push(frame)) return NONE;
    const out: SessionCommand[] = [];
    this.#closeUpstream(ProxyCloses.UpstreamQueueFull, out);
    // The frames lost were the client's: it gets the 1013 too (now, or when it comes back).
    this.#closeClient(ProxyCloses.UpstreamQueueFull, out);
    this.#end('upstream-queue-full', out);
    return out;
  }

  /** A leg's socket send buffer passed the byte bound: that peer is not reading. Ends with 1013. */
  sendBufferFull(leg: Leg): readonly SessionCommand[] {
    if (this.#ended) return NONE;
    const out: SessionCommand[] = [];
    const close = leg === 'client' ? ProxyCloses.ClientSlow : ProxyCloses.UpstreamSlow;
    this.#closeClient(close, out);
    this.#closeUpstream(leg === 'client' ? ProxyCloses.SessionEnded : close, out);
    this.#end(leg === 'client' ? 'client-slow' : 'upstream-slow', out);
    return out;
  }

  /** The proxy is stopping: both legs get 1001. */
  shutdown(): readonly SessionCommand[] {
    if (this.#ended) return NONE;
    const out: SessionCommand[] = [];
    this.#closeClient(ProxyCloses.ShuttingDown, out);
    this.#closeUpstream(ProxyCloses.ShuttingDown, out);
    this.#end('shutdown', out);
    return out;
  }

  #closeClient(close: ProxyClose, out: SessionCommand[]): void {
    if (this.#client !== 'absent') out.push({ type: 'closeClient', close });
    else this.#unannounced = close;
    this.#client = 'absent';
  }

  #closeUpstream(close: ProxyClose, out: SessionCommand[]): void {
    if (this.#upstream === 'open' || this.#upstream === 'connecting') out.push({ type: 'closeUpstream', close });
    this.#upstream = 'closed';
  }

  #end(reason: EndReason, out: SessionCommand[]): void {
    this.#ended = true;
    this.#upstream = 'closed';
    this.#client = 'absent';
    const discarded = { toUpstream: this.#toUpstream.takeAll().length, toClient: this.#toClient.takeAll().length };
    out.push({ type: 'end', reason, discarded, unannounced: reason === 'shutdown' ? undefined : this.#unannounced });
  }
}
