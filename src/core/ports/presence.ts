/** Presence: which users have connections on which live nodes. */
import type { ConnectionId, NodeId, UserId } from '../ids.js';
import type { Backend } from './backend.js';

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

/**
 * A user's transition generation: a number that grows by one with every transition of the user's
 * cluster-wide state (offline → online, online → offline), drawn in the same atomic step as the
 * transition itself. Consumers order a user's transitions by it (a late "offline" of generation 4
 * is older than an "online" of generation 5, whichever arrives first). Consecutive transitions get
 * consecutive numbers while the store remembers the user (an adapter may forget the number of a
 * user offline for long, or lose it with its data; the next one then jumps ahead, never back).
 */
export type Generation = number;

/** A user taken offline by a removal, with the generation of that transition. */
export interface OfflineUser {
  readonly userId: UserId;
  readonly generation: Generation;
}

/** Users a reaper found offline: each reported by exactly one caller cluster-wide. */
export interface ExpiredNode {
  readonly nodeId: NodeId;
  /** Users whose last connection was on the expired node: now offline. */
  readonly offline: readonly OfflineUser[];
}

/** A user's state as one atomic read: its connection count and its current transition generation (0: never seen). */
export interface UserPresence {
  readonly connections: number;
  readonly generation: Generation;
}

/**
 * Presence knows which users have at least one connection anywhere in the cluster, and which nodes
 * are alive. Each node registers (getting an epoch), refreshes its lease more often than `ttlMs`,
 * and writes connections under its epoch. A node that stops refreshing expires: `expireNodes` (any
 * node may call it; at most one caller gets each result) removes its connections and reports the
 * users left with none. Exactly once, cluster-wide: `firstForUser` is true only for the add that
 * takes a user from zero connections to one, `lastForUser` / an `offline` entry only for the removal
 * that takes it back to zero — including when a user's devices sit on several nodes or reconnect while
 * a dead node is reaped (one atomic step per change). Every transition carries the user's next
 * `generation` (see Generation), so that whoever hears transitions out of order can put them back.
 */
export interface Presence extends Backend {
  /** Registers (or re-registers) a node with a lease of `ttlMs`; resolves its epoch, greater than any earlier epoch of this node id. Connections of an earlier epoch of the same node id are removed (reported by the next expireNodes). */
  registerNode(nodeId: NodeId, ttlMs: number): Promise<number>;
  /** Renews the lease. Rejects with StaleEpochError when `epoch` is not the node's current one or its lease already expired. */
  refreshNode(nodeId: NodeId, epoch: number, ttlMs: number): Promise<void>;
  /** Removes the node and its connections now (graceful stop); resolves users left offline (the caller reports them). */
  deregisterNode(nodeId: NodeId, epoch: number): Promise<readonly OfflineUser[]>;
  /**
   * Rejects with StaleEpochError when `epoch` is stale. Adding a connection id twice changes nothing and reports false.
   * `generation`: the user's generation after the step (the transition's own when `firstForUser`).
   */
  addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId, epoch: number): Promise<{ firstForUser: boolean; generation: Generation }>;
  /** Unknown ids: `{lastForUser:false}`. `generation`: the user's generation after the step (the transition's own when `lastForUser`). */
  removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean; generation: Generation }>;
  /** Number of connections the user holds (all nodes). */
  connectionCount(userId: UserId): Promise<number>;
  /**
   * The nodes holding at least one connection of the user (each once, in no order; a node whose
   * lease ran out may still be listed until it is reaped). Optional: without it a cluster routes
   * 1:1 messages on per-user channels (core/routing/node-routes.ts).
   */
  nodesOf?(userId: UserId): Promise<readonly NodeId[]>;
  /** The user's connection count and generation, read together in one atomic step. */
  userPresence(userId: UserId): Promise<UserPresence>;
  /** Removes the connections of every node whose lease ran out at `now`; each expired node is reported to one caller only. */
  expireNodes(now: number): Promise<readonly ExpiredNode[]>;
  /** Live nodes and their connection counts. */
  nodes(): Promise<readonly NodeInfo[]>;
}
