/**
 * Everything core needs from the outside world, as small async ports whose comments carry the
 * guarantees. No I/O here; adapters in src/adapters implement these, the gateway wires them.
 */
import type { ConnectionId, MessageId, NodeId, UserId } from './ids.js';

/** Lifecycle shared by every backend. */
export interface Backend {
  /** "memory", "sqlite", "redis", … for logs, metrics and /readyz. */
  readonly name: string;
  /** Resolves when the backend is usable. Called once, before any other method. */
  start(): Promise<void>;
  /** Flushes pending work and frees resources. Idempotent. No method is called after it. */
  close(): Promise<void>;
  /** Feeds /readyz: false while disconnected or reconnecting. */
  isReady(): boolean;
}

// ---------------------------------------------------------------- store

/** Delivery status of a stored entry (seed 004): NONE stored → SENT written to a socket → DELIVERED proven received. */
export type EntryStatus = 'NONE' | 'SENT' | 'DELIVERED';

/** A RELIABLE message waiting for its recipient. `contentJson` is the sender's content as JSON text. */
export interface StoredMessage {
  readonly kind: 'message';
  readonly id: MessageId;
  readonly to: UserId;
  readonly from: UserId;
  readonly contentJson: string;
  readonly reference?: string;
  /** Milliseconds since the epoch, from the Clock. */
  readonly storedAt: number;
}

/** A MESSAGE_CONFIRMATION waiting for the original sender (`to`). Confirmations are always reliable. */
export interface StoredConfirmation {
  readonly kind: 'confirmation';
  readonly id: MessageId;
  readonly to: UserId;
  readonly reference: string;
  readonly storedAt: number;
}

/** A USER_CONNECTED / USER_DISCONNECTED kept for a master user who was not connected (contract §13). */
export interface StoredPresence {
  readonly kind: 'presence';
  readonly id: MessageId;
  /** The master user it is kept for. */
  readonly to: UserId;
  /** The user who came or went. */
  readonly userId: UserId;
  readonly event: 'USER_CONNECTED' | 'USER_DISCONNECTED';
  readonly storedAt: number;
}
export type StoredEntry = StoredMessage | StoredConfirmation | StoredPresence;

/** An entry as `pending` returns it: with its position in the recipient's inbox. */
export type PositionedEntry = StoredEntry & {
  /** Grows with every append to this recipient (a store-wide sequence is fine); `pending({after})` starts after it. */
  readonly position: number;
};

export interface PendingPage {
  /** Oldest first (append order per recipient). */
  readonly entries: readonly PositionedEntry[];
  /** Entries still pending for the recipient after this page (excluded ids not counted). */
  readonly remaining: number;
}

export interface PendingOptions {
  /** Ids to skip (entries in flight on a live connection). */
  readonly exclude?: ReadonlySet<MessageId>;
  /** Only entries whose position is greater than this (resume: "everything after N"). */
  readonly after?: number;
}

export interface StoreStats {
  /** Entries not yet DELIVERED, all recipients. */
  readonly pending: number;
  /** Bytes of content those entries hold (approximate: content text length). */
  readonly pendingBytes: number;
  /** The recipients with the most pending entries, most first (at most `top`). */
  readonly byRecipient: readonly { readonly userId: UserId; readonly pending: number; readonly oldestAt: number }[];
}

export interface MessageStore extends Backend {
  /**
   * Stores entries with status NONE. Idempotent on (`to`, `id`).
   * A `presence` entry replaces any pending presence entry with the same (`to`, `userId`): at most
   * one per pair is ever pending (coalesced), and it takes a new position (latest transition last).
   * Resolves once durable; rejects with a BackendError when it could not be stored (then none is stored).
   */
  append(entries: readonly StoredEntry[]): Promise<void>;
  /** Entries of `recipient` not yet DELIVERED, oldest first, at most `limit`. */
  pending(recipient: UserId, limit: number, options?: PendingOptions): Promise<PendingPage>;
  markSent(recipient: UserId, ids: readonly MessageId[]): Promise<void>;
  markDelivered(recipient: UserId, ids: readonly MessageId[]): Promise<void>;
  /** (Tests only.) */
  status(recipient: UserId, id: MessageId): Promise<EntryStatus | undefined>;
  /**
   * Retention: deletes entries not yet DELIVERED that were stored before `storedBefore`, of recipients
   * whose userId starts with `recipientPrefix` when given (an app's `<appName>-`). Resolves the number deleted.
   */
  expire(storedBefore: number, recipientPrefix?: string): Promise<number>;
  /** What is stored and for whom (the `switchboard store stats` command, the console). */
  stats(top: number): Promise<StoreStats>;
}

// ---------------------------------------------------------------- bus

/** What travels on the bus: a frame for the local connections of one user. */
export type Delivery =
  | {
      readonly kind: 'message';
      readonly to: UserId;
      readonly id: MessageId;
      readonly from: UserId;
      /** The full MESSAGE frame (text, or its UTF-8 bytes), serialized once by the publisher. */
      readonly frame: string | Uint8Array;
      readonly reference?: string;
      /** RELIABLE deliveries are tracked until received, then confirmed; FAST ones are fire and forget. */
      readonly reliable: boolean;
      /** Publisher's clock at accept time, for the delivery latency metric. */
      readonly acceptedAt: number;
    }
  | { readonly kind: 'confirmation'; readonly to: UserId; readonly id: MessageId; readonly frame: string; readonly reliable: true }
  | { readonly kind: 'presence'; readonly to: UserId; readonly frame: string };

/**
 * Bus carries deliveries to the node(s) holding a user's connections.
 * At most once: a delivery can be lost if a node or the link to the bus drops; reliability is the
 * MessageStore's job, never the Bus's.
 * Order: deliveries published by one node for one user arrive in publish order.
 */
export interface Bus extends Backend {
  /**
   * True when this bus reaches no other node: every connection of every user is on this one, so
   * the hub may answer a local user directly instead of through the store and the bus.
   * @default false
   */
  readonly isolated?: boolean;
  /** Called once, before the first subscribe. Inbound deliveries for subscribed users arrive here. */
  onDelivery(handler: (delivery: Delivery) => void): void;
  /** Called on a user's first local connection. Idempotent. Resolves once deliveries will arrive. */
  subscribe(userId: UserId): Promise<void>;
  /** Called after a user's last local connection closed. Idempotent. */
  unsubscribe(userId: UserId): Promise<void>;
  /** Resolves once handed to the bus (not once delivered). */
  publish(delivery: Delivery): Promise<void>;
}

// ---------------------------------------------------------------- presence

/**
 * Presence knows which users have at least one connection anywhere.
 * An entry whose node stops refreshing it expires (cluster adapters), so a crashed node's users
 * eventually go offline.
 */
export interface Presence extends Backend {
  /** `firstForUser` is true exactly once per offline → online transition. */
  addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId): Promise<{ firstForUser: boolean }>;
  /** `lastForUser` is true exactly once per online → offline transition. Unknown ids: `{lastForUser:false}`. */
  removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean }>;
  isOnline(userId: UserId): Promise<boolean>;
  /** Number of connections the user holds (all nodes). */
  connectionCount(userId: UserId): Promise<number>;
}

// ---------------------------------------------------------------- auth, clock, logs, metrics

export interface AuthRequest {
  readonly appId: string;
  readonly userId: string;
  readonly token: string | undefined;
}

/** Asks an outside authority. Resolves false on any failure — timeout, refusal, bad answer (fail closed). Never rejects. */
export interface AuthVerifier {
  verify(url: string, request: AuthRequest): Promise<boolean>;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;

/** Shaped like pino's API so that pino satisfies it directly. */
export interface Logger {
  error(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
  trace(fields: object, msg: string): void;
  child(fields: object): Logger;
  /** Lets hot paths skip building a per-connection child logger for a level that is off. */
  isLevelEnabled(level: string): boolean;
}

export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};

/** Domain verbs for metrics; the gateway implements it with prom-client. */
export interface Metrics {
  frameIn(type: string): void;
  frameOut(type: string, feature: string): void;
  messageRouted(type: string, feature: string): void;
  deliveryLatency(ms: number): void;
  backendError(backend: string): void;
  connectionOpened(): void;
  connectionClosed(code: number): void;
  usersOnline(count: number): void;
  protocolError(code: string): void;
}

export const noopMetrics: Metrics = {
  frameIn: () => undefined,
  frameOut: () => undefined,
  messageRouted: () => undefined,
  deliveryLatency: () => undefined,
  backendError: () => undefined,
  connectionOpened: () => undefined,
  connectionClosed: () => undefined,
  usersOnline: () => undefined,
  protocolError: () => undefined,
};

/** A backend failure, with the driver error as `cause`. Never shown to clients. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly backend: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
