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
