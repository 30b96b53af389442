/**
 * What a ProxyContext is given: its settings, its host (the server that owns it) and the upstream
 * it dials; and the client upgrade it holds while the first dial is under way.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ProxyClose } from './proxy-close-codes.js';
import type { ProxyMetrics } from './proxy-ports.js';

/** The proxy settings a context applies to its sockets. */
export interface ContextSettings {
  readonly connectTimeoutMs: number;
  readonly maxPayloadBytes: number;
  /** Also the bound of each socket's unsent buffer. */
  readonly maxQueueBytes: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
}

/** What a context needs from the server that owns it. */
/** `C` is the context (ProxyContext): generic, so that this file needs no import of it (no cycle). */
export interface ContextHost<C> {
  readonly settings: ContextSettings;
  readonly metrics: ProxyMetrics;
  /** Completes a client's WebSocket upgrade and calls `ctx.attachClient` (never, if the socket died). */
  upgrade(ctx: C, req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Registers a socket so the server can wait for it, or destroy it, on stop. */
  track(ws: WebSocket): void;
  /**
   * The session ended; the server forgets this context. `unannounced` is the close its absent
   * client missed, to give to that client if it comes back within the grace.
   */
  ended(ctx: C, unannounced: ProxyClose | undefined): void;
}

/** Where the upstream is and what to send it. */
export interface UpstreamTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The subprotocols the first client offered, in its order. */
  readonly offered: readonly string[];
}

/** A client upgrade that waits for the first upstream dial. */
export interface PendingUpgrade {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly onClose: () => void;
}
