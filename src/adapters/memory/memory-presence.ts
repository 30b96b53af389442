// In-process Presence: which users hold connections on which live nodes. No I/O; share one
// instance between in-process nodes to get cluster-wide answers.
import { StaleEpochError, type ExpiredNode, type NodeInfo, type Presence } from '../../core/ports.js';
import type { ConnectionId, NodeId, UserId } from '../../core/ids.js';

export interface MemoryPresenceOptions {
  /** @default Date.now */
  readonly clock?: () => number;
}

interface NodeRecord {
  readonly nodeId: NodeId;
  readonly epoch: number;
  expiresAt: number;
  /** Users with a connection on this node under this epoch (for reaping). */
  readonly users: Set<UserId>;
}

interface Held {
  readonly nodeId: NodeId;
  readonly epoch: number;
}

/**
 * Presence in process memory. Every method runs to completion in one turn, so each change is
 * atomic and the exactly-once rules of the port hold between nodes sharing the instance.
 * A node that registered and stopped refreshing is reaped by `expireNodes`; connections added
 * by a node that never registered (epoch 0: a single node) never expire.
 */
export class MemoryPresence implements Presence {
  readonly name = 'memory';
  readonly #clock: () => number;
  /** userId → (connectionId → the node and epoch holding it). A user is online while its map is non-empty. */
  readonly #users = new Map<UserId, Map<ConnectionId, Held>>();
  /** The current registration of each live node. */
  readonly #nodes = new Map<NodeId, NodeRecord>();
  /** Registrations replaced by a newer epoch of the same node id, waiting to be reaped. */
  #replaced: NodeRecord[] = [];
  /** Highest epoch handed out per node id (kept after deregistration, so epochs only grow). */
  readonly #epochs = new Map<NodeId, number>();
  #ready = false;

  constructor(options: MemoryPresenceOptions = {}) {
    this.#clock = options.clock ?? Date.now;
  }

  start(): Promise<void> {
    this.#ready = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#ready = false;
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#ready;
  }

  registerNode(nodeId: NodeId, ttlMs: number): Promise<number> {
    const epoch = (this.#epochs.get(nodeId) ?? 0) + 1;
    this.#epochs.set(nodeId, epoch);
    const old = this.#nodes.get(nodeId);
    if (old !== undefined) this.#replaced.push(old);
    this.#nodes.set(nodeId, { nodeId, epoch, expiresAt: this.#clock() + ttlMs, users: new Set() });
    return Promise.resolve(epoch);
  }

  refreshNode(nodeId: NodeId, epoch: number, ttlMs: number): Promise<void> {
    const record = this.#live(nodeId, epoch);
    if (record === undefined) return Promise.reject(new StaleEpochError(`node ${nodeId} epoch ${epoch} is not current`));
    record.expiresAt = this.#clock() + ttlMs;
    return Promise.resolve();
  }

  deregisterNode(nodeId: NodeId, epoch: number): Promise<readonly UserId[]> {
    const record = this.#nodes.get(nodeId);
    if (record === undefined || record.epoch !== epoch) return Promise.resolve([]);
    this.#nodes.delete(nodeId);
    return Promise.resolve(this.#drop(record));
  }

  addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId, epoch: number): Promise<{ firstForUser: boolean }> {
    let record: NodeRecord | undefined;
    if (epoch !== 0) {
      record = this.#live(nodeId, epoch);
      if (record === undefined) return Promise.reject(new StaleEpochError(`node ${nodeId} epoch ${epoch} is not current`));
    }
    let connections = this.#users.get(userId);
    const firstForUser = connections === undefined;
    if (connections === undefined) {
      connections = new Map();
      this.#users.set(userId, connections);
    }
    if (connections.has(connectionId)) return Promise.resolve({ firstForUser: false });
    connections.set(connectionId, { nodeId, epoch });
    record?.users.add(userId);
    return Promise.resolve({ firstForUser });
  }

  removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean }> {
    const connections = this.#users.get(userId);
    if (connections === undefined || !connections.delete(connectionId)) return Promise.resolve({ lastForUser: false });
    if (connections.size > 0) return Promise.resolve({ lastForUser: false });
    this.#users.delete(userId);
    return Promise.resolve({ lastForUser: true });
  }

  connectionCount(userId: UserId): Promise<number> {
    return Promise.resolve(this.#users.get(userId)?.size ?? 0);
  }

  expireNodes(now: number): Promise<readonly ExpiredNode[]> {
    const due = this.#replaced;
    this.#replaced = [];
    for (const record of this.#nodes.values()) {
      if (record.expiresAt >= now) continue;
      this.#nodes.delete(record.nodeId);
      due.push(record);
    }
    return Promise.resolve(due.map((record) => ({ nodeId: record.nodeId, offline: this.#drop(record) })));
  }

  nodes(): Promise<readonly NodeInfo[]> {
    const now = this.#clock();
    const list: NodeInfo[] = [];
    for (const record of this.#nodes.values()) {
      if (record.expiresAt < now) continue;
      let connections = 0;
      for (const userId of record.users) {
        for (const held of this.#users.get(userId)?.values() ?? []) if (held.nodeId === record.nodeId && held.epoch === record.epoch) connections++;
      }
      list.push({ nodeId: record.nodeId, connections, expiresAt: record.expiresAt });
    }
    return Promise.resolve(list);
  }

  #live(nodeId: NodeId, epoch: number): NodeRecord | undefined {
    const record = this.#nodes.get(nodeId);
    return record !== undefined && record.epoch === epoch && record.expiresAt >= this.#clock() ? record : undefined;
  }

  /** Removes every connection the registration held; returns the users left with none. */
  #drop(record: NodeRecord): UserId[] {
    const offline: UserId[] = [];
    for (const userId of record.users) {
      const connections = this.#users.get(userId);
      if (connections === undefined) continue;
      for (const [connectionId, held] of connections) if (held.nodeId === record.nodeId && held.epoch === record.epoch) connections.delete(connectionId);
      if (connections.size === 0) {
        this.#users.delete(userId);
        offline.push(userId);
      }
    }
    return offline;
  }
}
