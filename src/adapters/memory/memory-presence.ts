// In-process Presence: which users hold connections, counted per connection id. No I/O;
// share one instance between in-process nodes to get cluster-wide answers.
import type { Presence } from '../../core/ports.js';
import type { ConnectionId, NodeId, UserId } from '../../core/ids.js';

/**
 * Presence in process memory. Entries never expire: the process holding them is the only node.
 *
 * Exactly once: `firstForUser` is true only for the add that takes a user from zero to one
 * connection, `lastForUser` only for the remove that takes it back to zero. Adding a connection
 * id twice, or removing an unknown one, changes nothing and reports false.
 */
export class MemoryPresence implements Presence {
  readonly name = 'memory';
  /** userId → (connectionId → nodeId). A user is online while its map is non-empty. */
  readonly #users = new Map<UserId, Map<ConnectionId, NodeId>>();
  #ready = false;

  start(): Promise<void> {
    this.#ready = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#ready = false;
    this.#users.clear();
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#ready;
  }

  addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId): Promise<{ firstForUser: boolean }> {
    let connections = this.#users.get(userId);
    const firstForUser = connections === undefined;
    if (connections === undefined) {
      connections = new Map();
      this.#users.set(userId, connections);
    }
    connections.set(connectionId, nodeId);
    return Promise.resolve({ firstForUser });
  }

  removeConnection(userId: UserId, connectionId: ConnectionId): Promise<{ lastForUser: boolean }> {
    const connections = this.#users.get(userId);
    if (connections === undefined || !connections.delete(connectionId)) return Promise.resolve({ lastForUser: false });
    if (connections.size > 0) return Promise.resolve({ lastForUser: false });
    this.#users.delete(userId);
    return Promise.resolve({ lastForUser: true });
  }

  isOnline(userId: UserId): Promise<boolean> {
    return Promise.resolve(this.#users.has(userId));
  }

  connectionCount(userId: UserId): Promise<number> {
    return Promise.resolve(this.#users.get(userId)?.size ?? 0);
  }
}
