/** The client SDK's public types: options, state, events. Types only. */
import type { Feature } from '../protocol/frames.js';
import type { ReconnectOptions } from './reconnect-policy.js';
import type { WebSocketConstructor } from './web-socket-like.js';

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
  /** Opening a connection without a session (the first, or after a refused resume's session was lost). */
  | { readonly type: 'connecting'; readonly attempt: number }
  /** Opening a connection to resume the session. */
  | { readonly type: 'resuming'; readonly attempt: number }
  /** Authenticated; `resumed`: the session went on where it was (nothing missed), else a new one (and the client fetches). */
  | { readonly type: 'connected'; readonly userId: string; readonly resumed: boolean }
  /** The connection dropped with `code` and `reason`; the next attempt starts after `delayMs`. */
  | { readonly type: 'disconnected'; readonly code: number; readonly reason: string; readonly attempt: number; readonly delayMs: number }
  /** For good (close(), a refused authentication, a close code that advises no reconnect, or no `reconnect`). */
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
  /**
   * Called for a fresh token before every reconnect (and before the first connect when `token` is
   * absent). With `reconnect`, a close for an expired token (4001) also reconnects with it.
   */
  readonly getToken?: () => string | Promise<string>;
  /** The WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s class in Node. */
  readonly WebSocket: WebSocketConstructor;
  /**
   * Reconnect after an unexpected drop (close codes that advise it: 1001, 1005, 1006, 1011–1013)
   * and resume the session; absent: no reconnect, no session (the protocol of contract §3).
   */
  readonly reconnect?: ReconnectOptions;
  /** Most sends waiting for MESSAGE_ACCEPTED (more: OutboxFullError). @default 1000 */
  readonly maxOutbox?: number;
  /** With a session: a silent server is pinged after half of this, and the socket given up after all of it, ms. @default 20000 */
  readonly livenessMs?: number;
  /** How long received frames wait to be acknowledged together, ms. @default 50 */
  readonly ackDelayMs?: number;
  /** Page size of the client's own fetches. @default 100 */
  readonly fetchPageSize?: number;
}

/** Options of `send`. */
export interface SendOptions {
  /** @default 'RELIABLE' */
  readonly feature?: Feature;
  /** Echoed in MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION; made by the client when absent. */
  readonly reference?: string;
}

/** What `refreshToken` resolves with (REFRESH_TOKEN_REPLY). */
export interface RefreshResult {
  readonly ok: boolean;
  /** The connection's token expiry, ms since the epoch; null when the token has none. */
  readonly expiresAt: number | null;
}

/** What `fetchMissing` resolves with. */
export interface FetchResult {
  readonly messages: readonly ReceivedMessage[];
  readonly leftMissingCount: number;
}
