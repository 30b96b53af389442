/**
 * The Switchboard client SDK: connects, authenticates, sends, fetches missing messages, reports
 * typed events and its state. With `reconnect` it reconnects with backoff after a drop and
 * resumes its session (docs/protocol.md, "Session resume"): the app sees every RELIABLE message
 * once, in per-sender order. Browser-safe: no Node APIs; the WebSocket constructor is injected.
 */
import type { Feature, SessionInfo } from '../protocol/frames.js';
import { AuthenticationError, ConnectionClosedError, NotConnectedError, OutboxFullError, ServerError } from './client-errors.js';
import { dispatchServerFrame, type FrameTargets } from './server-frames.js';
import { Emitter } from './emitter.js';
import { Fetches } from './fetches.js';
import { Inbound, SeenIds } from './inbound.js';
import { Liveness } from './liveness.js';
import { Outbox, type Accepted } from './outbox.js';
import { Replies } from './replies.js';
import { createReconnectPolicy, serverBusy, worthReconnect, type ServerAdvice } from './reconnect-policy.js';
import type { ClientEvents, ClientOptions, ClientState, FetchResult, RefreshResult, SendOptions } from './types.js';
import { ReadyState, type WebSocketLike } from './web-socket-like.js';
import { closeSocket, dropSocket, openSocket } from './socket.js';
import { authClientFrame, parseServerFrame, tokenFor } from './wire.js';

export type { Accepted } from './outbox.js';
export type { ClientEvents, ClientOptions, ClientState, FetchResult, ReceivedMessage, RefreshResult, SendOptions } from './types.js';

const noop = (): void => undefined;

/** Creates a client; nothing happens on the network until {@link SwitchboardClient.connect}. */
export function createClient(options: ClientOptions): SwitchboardClient {
  return new SwitchboardClient(options);
}

export class SwitchboardClient extends Emitter<ClientEvents> {
  readonly #o: ClientOptions;
  readonly #policy: ReturnType<typeof createReconnectPolicy> | undefined;
  readonly #outbox: Outbox;
  readonly #seen = new SeenIds(10_000);
  readonly #inbound: Inbound;
  #state: ClientState = { type: 'idle' };
  #socket: WebSocketLike | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #liveness: Liveness;
  #connectWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  readonly #fetches = new Fetches();
  readonly #refreshes = new Replies<RefreshResult>();
  #session: SessionInfo | undefined;
  #nextReference = 0;
  readonly #referencePrefix = `sb-${Math.random().toString(36).slice(2, 10)}-`;
  #resolveClosed!: (e: Error | void) => void;
  readonly #closed = new Promise<Error | void>((resolve) => (this.#resolveClosed = resolve));
  /** Resumes that the server accepted / refused, repeats dropped by message id, attempts the server refused as busy (a refused upgrade seen through Node's `ws`, close 1013) — for tests and metrics. */
  readonly stats = { resumed: 0, refused: 0, duplicates: 0, repeats: 0, busy: 0 };
  readonly #targets: FrameTargets;

  constructor(options: ClientOptions) {
    super();
    this.#o = options;
    this.#policy = options.reconnect === undefined ? undefined : createReconnectPolicy(options.reconnect);
    this.#outbox = new Outbox(options.maxOutbox ?? 1_000);
    const emit: FrameTargets['emit'] = (event, payload) => this.emit(event, payload);
    // A send refused for now (rate limit, server trouble) goes again after 250 ms if still waiting.
    this.#targets = { seen: this.#seen, fetches: this.#fetches, outbox: this.#outbox, refreshes: this.#refreshes, stats: this.stats, emit, resendLater: (reference) => setTimeout(() => this.#resend(reference), 250) };
    this.#inbound = new Inbound(options.ackDelayMs ?? 50, 64, (seq) => this.#raw({ type: 'ACK', data: { seq } }));
    this.#liveness = new Liveness(
      options.livenessMs ?? 20_000,
      () => this.#raw({ type: 'ACK', data: { seq: this.#inbound.lastSeq, ping: true } }),
      () => this.#drop(1006, 'no answer from the server'),
    );
  }

  /** The current state. */
  get state(): ClientState {
    return this.#state;
  }

  /**
   * Opens the connection and authenticates. Resolves on `AUTH_CLIENT_REPLY` with
   * `isAuthenticated: true`; rejects with {@link AuthenticationError} on false (the client is then
   * closed) or {@link ConnectionClosedError} if the socket closes first. Call once.
   */
  connect(): Promise<void> {
    if (this.#state.type !== 'idle') return Promise.reject(new NotConnectedError(this.#state.type));
    return new Promise<void>((resolve, reject) => {
      this.#connectWaiter = { resolve, reject };
      this.#open();
    });
  }

  /**
   * Sends a MESSAGE. Resolves once the server took it (MESSAGE_ACCEPTED); rejects only on a
   * definite refusal ({@link ServerError}, {@link OutboxFullError}, or the client closed for
   * good). Without `reference` the client makes one. With `reconnect`, a send made while
   * reconnecting waits in the outbox and a send not yet accepted is re-sent after a reconnect
   * (the server takes a reference once). Without `reconnect` it throws {@link NotConnectedError}
   * unless connected, as before.
   */
  send(to: string, content: unknown, options: SendOptions = {}): Promise<Accepted> {
    if (this.#policy === undefined && this.#state.type !== 'connected') throw new NotConnectedError(this.#state.type);
    const reference = options.reference ?? this.#referencePrefix + (this.#nextReference++).toString(36);
    const frame = JSON.stringify({ type: 'MESSAGE', data: { to, content }, feature: options.feature ?? 'RELIABLE', reference });
    const promise = new Promise<Accepted>((resolve, reject) => {
      if (this.#state.type === 'closed') reject(new NotConnectedError('closed'));
      else if (!this.#outbox.add(reference, frame, resolve, reject)) reject(new OutboxFullError(this.#outbox.max));
      else if (this.#state.type === 'connected') this.#socket?.send(frame);
    });
    // The caller may ignore the promise: a refusal is also reported as an `error` event.
    promise.catch(noop);
    return promise;
  }

  /** Sends a GROUP_MESSAGE (no confirmation); throws {@link NotConnectedError} unless connected. */
  sendGroup(to: readonly string[], content: unknown, options: { readonly feature?: Feature } = {}): void {
    this.#write({ type: 'GROUP_MESSAGE', data: { to, content }, feature: options.feature ?? 'RELIABLE' });
  }

  /**
   * Asks for up to `count` missing messages. Resolves after FETCH_MISSING_MESSAGES_COMPLETE with
   * every MESSAGE that arrived in between (those are returned here and not emitted as `message`
   * events). With `reconnect` the client fetches by itself after every (re)connect, emitting what
   * it gets. Rejects with {@link NotConnectedError} or {@link ConnectionClosedError}.
   */
  fetchMissing(count: number): Promise<FetchResult> {
    return new Promise<FetchResult>((resolve, reject) => {
      try {
        this.#write({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count } });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.#fetches.add(false, resolve, reject);
    });
  }

  /**
   * Sends REFRESH_TOKEN with a fresh token before the current one expires (contract §10). Resolves
   * with the server's answer: `ok: false` leaves the old token in force; `expiresAt` is the new
   * token's expiry, ms since the epoch (null without one). Later reconnects still use `getToken`.
   * Rejects with {@link NotConnectedError} or {@link ConnectionClosedError}.
   */
  refreshToken(token: string): Promise<RefreshResult> {
    const reference = this.#referencePrefix + (this.#nextReference++).toString(36);
    return new Promise<RefreshResult>((resolve, reject) => {
      if (this.#state.type !== 'connected') return reject(new NotConnectedError(this.#state.type));
      if (!this.#refreshes.add(reference, resolve, reject)) return reject(new ServerError('TOO_MANY_REFRESHES', `${this.#refreshes.max} token refreshes are already waiting`));
      this.#write({ type: 'REFRESH_TOKEN', data: { token }, reference });
    });
  }

  /** Closes for good (code 1000); no reconnect. `closed()` then resolves with nothing. */
  close(): void {
    this.#finish(undefined, 1000, 'client closed');
  }

  /** Resolves (never rejects) when the client is closed for good: with the Error that closed it, or nothing after {@link close}. */
  closed(): Promise<Error | void> {
    return this.#closed;
  }

  // ---- internals ----

  #setState(state: ClientState): void {
    this.#state = state;
    this.emit('state', state);
  }

  #write(frame: object): void {
    if (this.#state.type !== 'connected' || this.#socket === undefined) throw new NotConnectedError(this.#state.type);
    this.#socket.send(JSON.stringify(frame));
  }

  /** Writes when a socket is open; drops otherwise (ACKs, pings). */
  #raw(frame: object): void {
    if (this.#socket?.readyState === ReadyState.Open) this.#socket.send(JSON.stringify(frame));
  }

  #open(): void {
    const attempt = this.#attempt;
    this.#setState(this.#session === undefined ? { type: 'connecting', attempt } : { type: 'resuming', attempt });
    // A fresh token before every reconnect (and before the first connect when none was given).
    const token = tokenFor(this.#o, attempt);
    if (typeof token === 'string') return this.#dial(token);
    token.then(
      (t) => this.#dial(t),
      (err: unknown) => this.#onClose(1006, `getToken failed: ${String(err)}`),
    );
  }

  #dial(token: string): void {
    if (this.#state.type === 'closed') return;
    const on = {
      open: (socket: WebSocketLike) => socket.send(authClientFrame(this.#o, token, this.#policy !== undefined, this.#session, this.#inbound.lastSeq)),
      text: (text: string) => this.#onFrame(text),
      close: (code: number, reason: string, advice: ServerAdvice) => this.#onClose(code, reason, advice),
    };
    try {
      this.#socket = openSocket(this.#o.WebSocket, this.#o.url, on, (socket) => socket === this.#socket);
    } catch (err) {
      this.#finish(new ConnectionClosedError(1006, 'cannot create the WebSocket', { cause: err }), 1006, '');
    }
  }

  /** Ends a socket that stopped answering (or broke the sequence) and reconnects without waiting for its close event. */
  #drop(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#socket = undefined;
    dropSocket(socket);
    this.#onClose(code, reason);
  }

  #onFrame(text: string): void {
    const frame = parseServerFrame(text);
    if (frame === undefined) {
      this.emit('error', new ServerError('BAD_FRAME', 'the server sent a frame that is not JSON'));
      return;
    }
    this.#liveness.heard();
    if (typeof frame.seq === 'number' && this.#session !== undefined) {
      const verdict = this.#inbound.take(frame.seq);
      this.stats.repeats = this.#inbound.repeats;
      if (verdict === 'repeat') return;
      if (verdict === 'gap') return this.#drop(1006, `sequence gap: ${frame.seq} after ${this.#inbound.lastSeq}`);
    }
    const d = frame.data ?? {};
    if (frame.type === 'AUTH_CLIENT_REPLY') this.#onAuthReply(d);
    else dispatchServerFrame(frame, d, this.#targets);
  }

  #resend(reference: string): void {
    const frame = this.#outbox.frameOf(reference);
    if (frame !== undefined && this.#state.type === 'connected') this.#socket?.send(frame);
  }

  #onAuthReply(d: Record<string, unknown>): void {
    if (d.isAuthenticated !== true) {
      this.#finish(new AuthenticationError(this.#o.appId, this.#o.userId), 1000, 'not authenticated');
      return;
    }
    const asked = this.#session !== undefined;
    const session = d.session as SessionInfo | undefined;
    const resumed = session?.resumed === true;
    if (asked) this.stats[resumed ? 'resumed' : 'refused']++;
    this.#session = session;
    if (session !== undefined && !resumed) this.#inbound.reset(session.seq);
    this.#attempt = 0;
    if (session !== undefined) this.#liveness.start();
    this.#setState({ type: 'connected', userId: this.#o.userId, resumed });
    this.#connectWaiter?.resolve();
    this.#connectWaiter = undefined;
    if (this.#policy === undefined) return;
    // Sends not yet accepted go again (the server answers a repeat with its first acceptance), then what is stored is fetched.
    for (const frame of this.#outbox.frames()) this.#socket?.send(frame);
    const page = { type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: this.#o.fetchPageSize ?? 100 } };
    this.#fetches.autoFetch(() => this.#raw(page), () => this.#state.type === 'connected');
  }

  /** `advice`: what the server said about the attempt (a refused upgrade's Retry-After, close 1013), for the backoff. */
  #onClose(code: number, reason: string, advice: ServerAdvice = { code }): void {
    this.#socket = undefined;
    this.#inbound.stop();
    this.#liveness.stop();
    const error = new ConnectionClosedError(code, reason);
    this.#fetches.failAll(error);
    this.#refreshes.failAll(error);
    // The first connect() reports its failure to the caller instead of retrying.
    if (this.#connectWaiter !== undefined || this.#policy === undefined || !worthReconnect(code, this.#o.getToken !== undefined)) {
      this.#finish(error, code, reason);
      return;
    }
    if (serverBusy(advice)) this.stats.busy++;
    const delayMs = this.#policy.delayMs(this.#attempt, advice);
    this.#setState({ type: 'disconnected', code, reason, attempt: this.#attempt, delayMs });
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#open();
    }, delayMs);
  }

  #finish(error: Error | undefined, code: number, reason: string): void {
    if (this.#state.type === 'closed') return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#liveness.stop();
    this.#timer = undefined;
    this.#inbound.flush();
    this.#inbound.stop();
    closeSocket(this.#socket, reason);
    this.#socket = undefined;
    const closedError = error ?? new ConnectionClosedError(code, reason);
    this.#fetches.failAll(closedError);
    this.#refreshes.failAll(closedError);
    this.#outbox.failAll(closedError);
    this.#connectWaiter?.reject(closedError);
    this.#connectWaiter = undefined;
    this.#setState(error === undefined ? { type: 'closed' } : { type: 'closed', error });
    this.#resolveClosed(error);
  }
}
