/**
 * The Switchboard client SDK: connects, authenticates, sends, fetches missing messages, reports
 * typed events and its state, and reconnects with backoff (re-authenticating) when the
 * connection drops. Browser-safe: no Node APIs; the WebSocket constructor is injected.
 */
import { shouldReconnect } from '../protocol/close-codes.js';
import type { Feature } from '../protocol/frames.js';
import { AuthenticationError, ConnectionClosedError, NotConnectedError, ServerError } from './client-errors.js';
import { createReconnectPolicy, type ReconnectOptions } from './reconnect-policy.js';
import { ReadyState, type WebSocketConstructor, type WebSocketLike } from './web-socket-like.js';

/** A message delivered to this user. */
export interface ReceivedMessage {
  readonly from: string;
  readonly content: unknown;
  readonly id: string;
  /** The sender's reference, when it gave one. */
  readonly reference?: string;
}

/** The client's state; `type` discriminates. */
export type ClientState =
  | { readonly type: 'idle' }
  | { readonly type: 'connecting'; readonly attempt: number }
  | { readonly type: 'connected'; readonly userId: string }
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly code: number; readonly reason: string }
  | { readonly type: 'closed'; readonly error?: Error };

/** Events and their payloads. */
export interface ClientEvents {
  message: ReceivedMessage;
  confirmation: { readonly reference: string };
  accepted: { readonly reference: string; readonly id: string };
  error: Error;
  userConnected: { readonly userId: string };
  userDisconnected: { readonly userId: string };
  state: ClientState;
}

export interface ClientOptions {
  /** ws:// or wss:// URL of the gateway's `/ws` endpoint. */
  readonly url: string;
  readonly appId: string;
  /** `<appName>-<digits>`. */
  readonly userId: string;
  readonly token?: string;
  /** The WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s class in Node. */
  readonly WebSocket: WebSocketConstructor;
  /**
   * Reconnect after an unexpected drop (close codes that advise it: 1001, 1005, 1006, 1011–1013),
   * re-authenticating each time; absent: no reconnect. Sends are not queued while reconnecting,
   * and RELIABLE messages stored meanwhile are not fetched automatically: call
   * {@link SwitchboardClient.fetchMissing} when the `state` event reports `connected` again.
   */
  readonly reconnect?: ReconnectOptions;
}

/** Options of {@link SwitchboardClient.send}. */
export interface SendOptions {
  /** @default 'RELIABLE' */
  readonly feature?: Feature;
  /** Asks for MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION carrying this reference. */
  readonly reference?: string;
}

/** What {@link SwitchboardClient.fetchMissing} resolves with. */
export interface FetchResult {
  readonly messages: readonly ReceivedMessage[];
  readonly leftMissingCount: number;
}

type Listener<K extends keyof ClientEvents> = (payload: ClientEvents[K]) => void;

interface PendingFetch {
  readonly messages: ReceivedMessage[];
  readonly resolve: (r: FetchResult) => void;
  readonly reject: (e: Error) => void;
}

/** Creates a client; nothing happens on the network until {@link SwitchboardClient.connect}. */
export function createClient(options: ClientOptions): SwitchboardClient {
  return new SwitchboardClient(options);
}

export class SwitchboardClient {
  readonly #options: ClientOptions;
  readonly #policy: ReturnType<typeof createReconnectPolicy> | undefined;
  readonly #listeners = new Map<keyof ClientEvents, Set<(payload: never) => void>>();
  #state: ClientState = { type: 'idle' };
  #socket: WebSocketLike | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connectWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #fetches: PendingFetch[] = [];
  #resolveClosed!: (e: Error | void) => void;
  readonly #closed = new Promise<Error | void>((resolve) => (this.#resolveClosed = resolve));

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#policy = options.reconnect === undefined ? undefined : createReconnectPolicy(options.reconnect);
  }

  /** The current state. */
  get state(): ClientState {
    return this.#state;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof ClientEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
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

  /** Sends a MESSAGE; throws {@link NotConnectedError} unless connected. Not queued. */
  send(to: string, content: unknown, options: SendOptions = {}): void {
    this.#write({ type: 'MESSAGE', data: { to, content }, feature: options.feature ?? 'RELIABLE', ...(options.reference === undefined ? {} : { reference: options.reference }) });
  }

  /** Sends a GROUP_MESSAGE (no confirmation); throws {@link NotConnectedError} unless connected. */
  sendGroup(to: readonly string[], content: unknown, options: { readonly feature?: Feature } = {}): void {
    this.#write({ type: 'GROUP_MESSAGE', data: { to, content }, feature: options.feature ?? 'RELIABLE' });
  }

  /**
   * Asks for up to `count` missing messages. Resolves after FETCH_MISSING_MESSAGES_COMPLETE with
   * every MESSAGE that arrived in between (fetched and live ones cannot be told apart on the wire,
   * so those are returned here and not emitted as `message` events). Fetches run one at a time.
   * Rejects with {@link NotConnectedError} or {@link ConnectionClosedError}.
   */
  fetchMissing(count: number): Promise<FetchResult> {
    return new Promise<FetchResult>((resolve, reject) => {
      try {
        this.#write({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count } });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.#fetches.push({ messages: [], resolve, reject });
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

  #emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of set) (listener as Listener<K>)(payload);
  }

  #setState(state: ClientState): void {
    this.#state = state;
    this.#emit('state', state);
  }

  #write(frame: Record<string, unknown>): void {
    if (this.#state.type !== 'connected' || this.#socket === undefined) throw new NotConnectedError(this.#state.type);
    this.#socket.send(JSON.stringify(frame));
  }

  #open(): void {
    this.#setState({ type: 'connecting', attempt: this.#attempt });
    let socket: WebSocketLike;
    try {
      socket = new this.#options.WebSocket(this.#options.url);
    } catch (err) {
      this.#finish(new ConnectionClosedError(1006, 'cannot create the WebSocket', { cause: err }), 1006, '');
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      const { appId, userId, token } = this.#options;
      socket.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId, userId, token: token ?? '' } }));
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.#onFrame(event.data);
    };
    // The close event follows an error event; handling happens there.
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#onClose(event.code, event.reason);
    };
  }

  #onFrame(text: string): void {
    let frame: { type?: unknown; data?: Record<string, unknown>; reference?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      this.#emit('error', new ServerError('BAD_FRAME', 'the server sent a frame that is not JSON'));
      return;
    }
    const d = frame.data ?? {};
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    switch (frame.type) {
      case 'AUTH_CLIENT_REPLY':
        if (d.isAuthenticated === true) {
          this.#attempt = 0;
          this.#setState({ type: 'connected', userId: this.#options.userId });
          this.#connectWaiter?.resolve();
          this.#connectWaiter = undefined;
        } else {
          this.#finish(new AuthenticationError(this.#options.appId, this.#options.userId), 1000, 'not authenticated');
        }
        return;
      case 'MESSAGE': {
        const reference = typeof d.reference === 'string' ? d.reference : typeof frame.reference === 'string' ? frame.reference : undefined;
        const message: ReceivedMessage = { from: str(d.from), content: d.content, id: str(d.id), ...(reference === undefined ? {} : { reference }) };
        const fetch = this.#fetches[0];
        if (fetch !== undefined) fetch.messages.push(message);
        else this.#emit('message', message);
        return;
      }
      case 'FETCH_MISSING_MESSAGES_COMPLETE': {
        const fetch = this.#fetches.shift();
        fetch?.resolve({ messages: fetch.messages, leftMissingCount: typeof d.leftMissingCount === 'number' ? d.leftMissingCount : 0 });
        return;
      }
      case 'MESSAGE_ACCEPTED':
        this.#emit('accepted', { reference: str(d.reference), id: str(d.id) });
        return;
      case 'MESSAGE_CONFIRMATION':
        this.#emit('confirmation', { reference: str(d.reference) });
        return;
      case 'USER_CONNECTED':
        this.#emit('userConnected', { userId: str(d.userId) });
        return;
      case 'USER_DISCONNECTED':
        this.#emit('userDisconnected', { userId: str(d.userId) });
        return;
      case 'ERROR': {
        const reference = typeof d.reference === 'string' ? d.reference : undefined;
        this.#emit('error', new ServerError(str(d.code), str(d.message), reference));
        return;
      }
      default:
        return;
    }
  }

  #onClose(code: number, reason: string): void {
    this.#socket = undefined;
    const error = new ConnectionClosedError(code, reason);
    for (const fetch of this.#fetches.splice(0)) fetch.reject(error);
    // The first connect() reports its failure to the caller instead of retrying.
    if (this.#connectWaiter !== undefined || this.#policy === undefined || !shouldReconnect(code)) {
      this.#finish(error, code, reason);
      return;
    }
    const delayMs = this.#policy.delayMs(this.#attempt);
    this.#setState({ type: 'reconnecting', attempt: this.#attempt, delayMs, code, reason });
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#open();
    }, delayMs);
  }

  #finish(error: Error | undefined, code: number, reason: string): void {
    if (this.#state.type === 'closed') return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && socket.readyState !== ReadyState.Closed && socket.readyState !== ReadyState.Closing) socket.close(1000, reason.slice(0, 100));
    const closedError = error ?? new ConnectionClosedError(code, reason);
    for (const fetch of this.#fetches.splice(0)) fetch.reject(closedError);
    this.#connectWaiter?.reject(closedError);
    this.#connectWaiter = undefined;
    this.#setState(error === undefined ? { type: 'closed' } : { type: 'closed', error });
    this.#resolveClosed(error);
  }
}
