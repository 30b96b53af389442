/**
 * Everything core needs from the outside world, as small async ports whose comments carry the
 * guarantees. No I/O here; adapters in src/adapters implement these, the gateway wires them.
 */
import type { ClientApp } from './client-apps.js';
import type { AppId, ConnectionId, MessageId, NodeId, UserId } from './ids.js';

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

/**
 * Where a delivery goes. Built with the helpers below, never by hand; adapters may map it to their
 * own names (a Redis Cluster adapter puts the user id in a hash tag).
 * - `u:<userId>`: every node holding a connection of the user (subscribed on its first local connection)
 * - `n:<nodeId>`: one node (control traffic: close a user's connections, reaped presence)
 * - `t:<appId>:<topic>`: every node with a local subscriber of the topic
 * - `all`: every node (group messages cross once per node; app-wide pushes)
 */
export type Channel = string & { readonly __brand: 'Channel' };
export const userChannel = (userId: UserId): Channel => `u:${userId}` as Channel;
export const nodeChannel = (nodeId: NodeId): Channel => `n:${nodeId}` as Channel;
export const topicChannel = (appId: AppId, topic: string): Channel => `t:${appId}:${topic}` as Channel;
export const allChannel = 'all' as Channel;

/** What travels on the bus. Every delivery says which node published it (`origin`). */
export type Delivery =
  | { readonly kind: 'message'; readonly origin: NodeId; readonly to: UserId; readonly id: MessageId; readonly from: UserId;
      /** The full MESSAGE frame (text, or its UTF-8 bytes), serialized once by the publisher. */
      readonly frame: string | Uint8Array; readonly reference?: string; readonly reliable: boolean; readonly acceptedAt: number;
      /** false: the sender asked for no MESSAGE_CONFIRMATION (`confirmationEnabled: false`). Absent: confirmed when it has a reference. */
      readonly confirm?: false }
  | { readonly kind: 'confirmation'; readonly origin: NodeId; readonly to: UserId; readonly id: MessageId; readonly frame: string; readonly reliable: true }
  | { readonly kind: 'presence'; readonly origin: NodeId; readonly to: UserId; readonly frame: string }
  /** One GROUP_MESSAGE for every node (on `all`): each node writes the copies of the recipients it holds. */
  | { readonly kind: 'group'; readonly origin: NodeId; readonly from: UserId; readonly copies: readonly { readonly to: UserId; readonly id: MessageId }[];
      readonly contentJson: string; readonly reference?: string; readonly reliable: boolean; readonly acceptedAt: number }
  /** A ready frame for every connection of one user (NOTIFICATION, …). */
  | { readonly kind: 'frame'; readonly origin: NodeId; readonly to: UserId; readonly frame: string; readonly type: string }
  /** A ready frame for every connection of an app (NEW_VERSION, …), on `all`. */
  | { readonly kind: 'app-frame'; readonly origin: NodeId; readonly appId: AppId; readonly frame: string; readonly type: string }
  /** A PUBLICATION, on the topic's channel. */
  | { readonly kind: 'publication'; readonly origin: NodeId; readonly appId: AppId; readonly topic: string; readonly frame: string }
  /** Close every connection of a user (on `u:<userId>`): /api/disconnect, CLOSE_CONNECTION, back-channel logout. */
  | { readonly kind: 'close'; readonly origin: NodeId; readonly to: UserId; readonly code: number; readonly reason: string }
  /** An identity provider logged a subject or a session out (back-channel logout), on `all`: every node closes the matching connections of the app. */
  | { readonly kind: 'logout'; readonly origin: NodeId; readonly appId: AppId; readonly sub?: string; readonly sid?: string };

/**
 * Bus carries deliveries between nodes.
 * At most once: a delivery can be lost if a node or its link to the bus drops; reliability is the
 * MessageStore's job, never the Bus's.
 * Order: deliveries one node publishes on one channel arrive in publish order.
 * Bounded: an adapter holds at most a bounded amount of unsent publishes; past it, `publish` rejects
 * with a BackendError at once (never grows memory without limit).
 */
export interface Bus extends Backend {
  /** True when this bus reaches no other node (the default single node). @default false */
  readonly isolated?: boolean;
  /** Called once, before the first subscribe. Deliveries on subscribed channels arrive here (also this node's own publishes). */
  onDelivery(handler: (delivery: Delivery) => void): void;
  /** Idempotent. Resolves once deliveries on the channel will arrive. */
  subscribe(channel: Channel): Promise<void>;
  /** Idempotent. */
  unsubscribe(channel: Channel): Promise<void>;
  /** Resolves once handed to the bus (not once delivered). */
  publish(channel: Channel, delivery: Delivery): Promise<void>;
  /**
   * Called by the adapter whenever its subscriptions were lost and restored (reconnect, a killed
   * pub/sub connection noticed and resubscribed): deliveries in between may be missing. Optional.
   */
  onResubscribed?(handler: () => void): void;
}

// ---------------------------------------------------------------- presence

/** A refused write: the node's epoch is not the current one (it was re-registered, or expired and reaped). */
export class StaleEpochError extends Error {
  override readonly name = 'StaleEpochError';
}

export interface NodeInfo {
  readonly nodeId: NodeId;
  readonly connections: number;
  /** When the node's lease runs out unless refreshed (ms since the epoch). */
  readonly expiresAt: number;
}

/** Users a reaper found offline: each reported by exactly one caller cluster-wide. */
export interface ExpiredNode {
  readonly nodeId: NodeId;
  /** Users whose last connection was on the expired node: now offline. */
  readonly offline: readonly UserId[];
}

/**
 * Presence knows which users have at least one connection anywhere in the cluster, and which nodes
 * are alive. Each node registers (getting an epoch), refreshes its lease more often than `ttlMs`,
 * and writes connections under its epoch. A node that stops refreshing expires: `expireNodes` (any
 * node may call it; at most one caller gets each result) removes its connections and reports the
 * users left with none. Exactly once, cluster-wide: `firstForUser` is true only for the add that
 * takes a user from zero connections to one, `lastForUser` / an `offline` entry only for the removal
 * that takes it back to zero — including when a user's devices sit on several nodes or reconnect while
 * a dead node is reaped (one atomic step per change).
 */
export interface Presence extends Backend {
  /** Registers (or re-registers) a node with a lease of `ttlMs`; resolves its epoch, greater than any earlier epoch of this node id. Connections of an earlier epoch of the same node id are removed (reported by the next expireNodes). */
  registerNode(nodeId: NodeId, ttlMs: number): Promise<number>;
  /** Renews the lease. Rejects with StaleEpochError when `epoch` is not the node's current one or its lease already expired. */
  refreshNode(nodeId: NodeId, epoch: number, ttlMs: number): Promise<void>;
  /** Removes the node and its connections now (graceful stop); resolves users left offline (the caller reports them). */
  deregisterNode(nodeId: NodeId, epoch: number): Promise<readonly UserId[]>;
  /** Rejects with StaleEpochError when `epoch` is stale. Adding a connection id twice changes nothing and reports false. */
  addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId, epoch: number): Promise<{ firstForUser: boolean }>;
  /** Unknown ids: `{lastForUser:false}`. */
  removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean }>;
  /** Number of connections the user holds (all nodes). */
  connectionCount(userId: UserId): Promise<number>;
  /** Removes the connections of every node whose lease ran out at `now`; each expired node is reported to one caller only. */
  expireNodes(now: number): Promise<readonly ExpiredNode[]>;
  /** Live nodes and their connection counts. */
  nodes(): Promise<readonly NodeInfo[]>;
}

// ---------------------------------------------------------------- lease

/**
 * Lease elects one holder per name cluster-wide (the SSE bridge of a topic, a user's job, the
 * version poll). A fencing token comes with every grant and only grows per name: a holder whose
 * lease lapsed and was granted to someone else can no longer renew, and any work it would do can be
 * refused by comparing tokens.
 */
export interface Lease extends Backend {
  /**
   * Takes `name` for `holder` for `ttlMs` when free or expired, or renews it when `holder` already holds it.
   * Resolves the fencing token (greater than every token granted earlier for `name` when the holder changed), or undefined when someone else holds it.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined>;
  /** Extends the lease; false when `holder`/`token` no longer hold it (expired and taken, or released). */
  renew(name: string, holder: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives it up if still held by `holder`/`token`; otherwise nothing. */
  release(name: string, holder: string, token: number): Promise<void>;
}

// ---------------------------------------------------------------- auth

export interface Credentials {
  readonly appId: string;
  readonly userId: string;
  readonly token: string | undefined;
}

export interface AuthResult {
  readonly ok: boolean;
  /** When the credentials stop being valid (a JWT's exp), ms since the epoch; absent: never. */
  readonly expiresAt?: number;
  /** Verified claims (JWT), for jobs and commands. Never logged. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Why not ok, for the log (never the token). */
  readonly reason?: string;
}

/** Verifies a connection's credentials for an app. Never rejects: any failure is `{ok:false}` (fail closed). */
export interface AuthVerifier {
  verify(app: ClientApp, credentials: Credentials): Promise<AuthResult>;
}

// ---------------------------------------------------------------- scheduler

/** Timers, beside the Clock, so core never calls setTimeout itself and tests can drive time. */
export interface Scheduler {
  /** Runs `fn` once after `ms`; returns a function that cancels it. Timers do not keep the process alive. */
  after(ms: number, fn: () => void): () => void;
}

// ---------------------------------------------------------------- clock, logs, metrics

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
  /** A COMMAND ended: `outcome` ok | unknown | bad_request | too_many | failed | timeout; `ms` the handler's time (0 when none ran). */
  commandHandled(name: string, outcome: string, ms: number): void;
  /** A per-user job's turn ended: `outcome` changed | unchanged | failed | fenced | throttled | no_token | backoff. */
  jobRun(job: string, outcome: string): void;
  /** Per-user jobs (and version polls) whose lease this node holds now. */
  jobsRunning(count: number): void;
  /** This node took over a job's or version poll's lease another node held (`kind`: job | version). */
  leaseHandover(kind: string): void;
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
  commandHandled: () => undefined,
  jobRun: () => undefined,
  jobsRunning: () => undefined,
  leaseHandover: () => undefined,
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
