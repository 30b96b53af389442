// In-process Presence: which users hold connections and which nodes are alive. No I/O;
// share one instance between in-process nodes to get cluster-wide answers.
import { StaleEpochError } from '../../core/ports.js';
import type { Clock, ExpiredNode, Generation, NodeInfo, OfflineUser, Presence, UserPresence } from '../../core/ports.js';
import type { ConnectionId, NodeId, UserId } from '../../core/ids.js';

export interface MemoryPresenceOptions {
  /**
   * Time source for leases (`registerNode`, `refreshNode`).
   * @default Date.now
   */
  readonly clock?: Clock;
  /**
   * How many offline users' generations are remembered (oldest forgotten first). A forgotten user's
   * next generation starts above every forgotten one, so it still only grows.
   * @default 100000
   */
  readonly maxOfflineGenerations?: number;
}

interface Holder {
  readonly nodeId: NodeId;
  readonly epoch: number;
}

/**
 * One user's connections and their holders, and the user's generation while it is online. Most
 * users hold one connection: it is kept in two fields (24 bytes) rather than a Map of its own
 * (about 180 bytes); a Map is made for a second.
 */
class UserConnections {
  /** The user's generation, drawn when it came online (see MemoryPresence's #transition). */
  generation: Generation = 0;
  #id: ConnectionId | undefined;
  #holder: Holder | undefined;
  #more: Map<ConnectionId, Holder> | undefined;

  get size(): number {
    return this.#more?.size ?? (this.#id === undefined ? 0 : 1);
  }
  has(id: ConnectionId): boolean {
    return this.#more?.has(id) ?? this.#id === id;
  }
  set(id: ConnectionId, holder: Holder): void {
    if (this.#more !== undefined) {
      this.#more.set(id, holder);
    } else if (this.#id === undefined || this.#id === id) {
      this.#id = id;
      this.#holder = holder;
    } else {
      this.#more = new Map([[this.#id, this.#holder!], [id, holder]]);
      this.#id = this.#holder = undefined;
    }
  }
  delete(id: ConnectionId): boolean {
    if (this.#more !== undefined) return this.#more.delete(id);
    if (this.#id !== id) return false;
    this.#id = this.#holder = undefined;
    return true;
  }
  holders(): Iterable<Holder> {
    return this.#more?.values() ?? (this.#holder === undefined ? [] : [this.#holder]);
  }
  /** Removes the connections whose holder `dead` names. */
  deleteHeldBy(dead: Holder): void {
    const held = (h: Holder): boolean => h.nodeId === dead.nodeId && h.epoch === dead.epoch;
    if (this.#more === undefined) {
      if (this.#holder !== undefined && held(this.#holder)) this.#id = this.#holder = undefined;
      return;
    }
    for (const [id, holder] of this.#more) if (held(holder)) this.#more.delete(id);
  }
}

/**
 * Presence in process memory. Every method runs to completion in one step, so each change is atomic.
 *
 * Exactly once: `firstForUser` is true only for the add that takes a user from zero to one
 * connection; `lastForUser`, or an `offline` entry of `expireNodes`, only for the removal that
 * takes it back to zero. A dead epoch (expired, deregistered or replaced by a re-registration)
 * is queued once and reported by the next `expireNodes`. Generations: one counter per user, kept
 * while the user is online and for the last `maxOfflineGenerations` users who went offline.
 */
export class MemoryPresence implements Presence {
  readonly name = 'memory';
  readonly #clock: Clock;
  /** userId → its connections and their holders, and its generation. A user is online while it has some. */
  readonly #users = new Map<UserId, UserConnections>();
  /** Highest epoch ever given per node id (never forgotten, so epochs only grow). */
  readonly #epochs = new Map<NodeId, number>();
  /** Live nodes: current epoch and lease end. */
  readonly #live = new Map<NodeId, { epoch: number; expiresAt: number }>();
  /** Epochs replaced by a re-registration, waiting for the next expireNodes. */
  #replaced: Holder[] = [];
  /** The holder last given to a connection (see addConnection). */
  #lastHolder: Holder | undefined;
  /** userId → its last generation, for the latest users who went offline (oldest first; bounded). */
  readonly #offline = new Map<UserId, Generation>();
  /** The highest generation forgotten: a forgotten user's next one starts above it. */
  #forgotten = 0;
  readonly #maxOfflineGenerations: number;
  #ready = false;

  constructor(options: MemoryPresenceOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#maxOfflineGenerations = options.maxOfflineGenerations ?? 100_000;
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
    const previous = this.#live.get(nodeId);
    if (previous !== undefined) this.#replaced.push({ nodeId, epoch: previous.epoch });
    this.#live.set(nodeId, { epoch, expiresAt: this.#clock() + ttlMs });
    return Promise.resolve(epoch);
  }

  refreshNode(nodeId: NodeId, epoch: number, ttlMs: number): Promise<void> {
    const now = this.#clock();
    const live = this.#live.get(nodeId);
    if (live?.epoch !== epoch || live.expiresAt <= now) return Promise.reject(stale(nodeId, epoch));
    live.expiresAt = now + ttlMs;
    return Promise.resolve();
  }

  deregisterNode(nodeId: NodeId, epoch: number): Promise<readonly OfflineUser[]> {
    if (this.#live.get(nodeId)?.epoch !== epoch) return Promise.reject(stale(nodeId, epoch));
    this.#live.delete(nodeId);
    return Promise.resolve(this.#removeEpoch({ nodeId, epoch }));
  }

  addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId, epoch: number): Promise<{ firstForUser: boolean; generation: Generation }> {
    const live = this.#live.get(nodeId);
    if (live?.epoch !== epoch || live.expiresAt <= this.#clock()) return Promise.reject(stale(nodeId, epoch));
    let connections = this.#users.get(userId);
    if (connections === undefined) {
      connections = new UserConnections();
      this.#users.set(userId, connections);
    }
    if (connections.has(connectionId)) return Promise.resolve({ firstForUser: false, generation: this.#generation(userId) });
    // One holder object per node registration, shared by its connections (not one per connection).
    let holder = this.#lastHolder;
    if (holder?.nodeId !== nodeId || holder.epoch !== epoch) this.#lastHolder = holder = { nodeId, epoch };
    connections.set(connectionId, holder);
    if (connections.size > 1) return Promise.resolve({ firstForUser: false, generation: this.#generation(userId) });
    return Promise.resolve({ firstForUser: true, generation: this.#cameOnline(userId, connections) });
  }

  removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean; generation: Generation }> {
    const connections = this.#users.get(userId);
    if (connections === undefined || !connections.delete(connectionId) || connections.size > 0) {
      return Promise.resolve({ lastForUser: false, generation: this.#generation(userId) });
    }
    this.#users.delete(userId);
    return Promise.resolve({ lastForUser: true, generation: this.#wentOffline(userId, connections) });
  }

  connectionCount(userId: UserId): Promise<number> {
    return Promise.resolve(this.#users.get(userId)?.size ?? 0);
  }

  nodesOf(userId: UserId): Promise<readonly NodeId[]> {
    const nodes = new Set<NodeId>();
    for (const holder of this.#users.get(userId)?.holders() ?? []) nodes.add(holder.nodeId);
    return Promise.resolve([...nodes]);
  }

  userPresence(userId: UserId): Promise<UserPresence> {
    return Promise.resolve({ connections: this.#users.get(userId)?.size ?? 0, generation: this.#generation(userId) });
  }

  expireNodes(now: number): Promise<readonly ExpiredNode[]> {
    const dead = this.#replaced;
    this.#replaced = [];
    for (const [nodeId, live] of this.#live) {
      if (live.expiresAt > now) continue;
      this.#live.delete(nodeId);
      dead.push({ nodeId, epoch: live.epoch });
    }
    return Promise.resolve(dead.map((holder) => ({ nodeId: holder.nodeId, offline: this.#removeEpoch(holder) })));
  }

  nodes(): Promise<readonly NodeInfo[]> {
    const counts = new Map<NodeId, number>();
    for (const connections of this.#users.values()) {
      for (const { nodeId, epoch } of connections.holders()) {
        if (this.#live.get(nodeId)?.epoch === epoch) counts.set(nodeId, (counts.get(nodeId) ?? 0) + 1);
      }
    }
    const now = this.#clock();
    const live = [...this.#live].filter(([, node]) => node.expiresAt > now);
    return Promise.resolve(live.map(([nodeId, node]) => ({ nodeId, connections: counts.get(nodeId) ?? 0, expiresAt: node.expiresAt })));
  }

  #generation(userId: UserId): Generation {
    return this.#users.get(userId)?.generation ?? this.#offline.get(userId) ?? 0;
  }

  /** Draws the next generation of a user who came online (its first connection, in `connections`). */
  #cameOnline(userId: UserId, connections: UserConnections): Generation {
    const generation = (this.#offline.get(userId) ?? this.#forgotten) + 1;
    this.#offline.delete(userId);
    connections.generation = generation;
    return generation;
  }

  /** Draws the next generation of a user who went offline (`connections`, now empty, was its entry); forgets the oldest offline users past the bound. */
  #wentOffline(userId: UserId, connections: UserConnections): Generation {
    const generation = connections.generation + 1;
    this.#offline.delete(userId);
    this.#offline.set(userId, generation);
    if (this.#offline.size > this.#maxOfflineGenerations) {
      const [oldest, g] = this.#offline.entries().next().value!;
      this.#offline.delete(oldest);
      this.#forgotten = Math.max(this.#forgotten, g);
    }
    return generation;
  }

  /** Removes every connection of one node epoch; resolves the users left with none. */
  #removeEpoch(dead: Holder): OfflineUser[] {
    const offline: OfflineUser[] = [];
    for (const [userId, connections] of this.#users) {
      connections.deleteHeldBy(dead);
      if (connections.size === 0) {
        this.#users.delete(userId);
        offline.push({ userId, generation: this.#wentOffline(userId, connections) });
      }
    }
    return offline;
  }
}

function stale(nodeId: NodeId, epoch: number): StaleEpochError {
  return new StaleEpochError(`node ${nodeId} epoch ${String(epoch)} is not current`);
}
