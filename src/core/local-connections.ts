/**
 * LocalConnections: the authenticated connections of this node, per user. Pure bookkeeping; who
 * may join is membership.ts's decision.
 *
 * A user's connections are a small array replaced on every change, never changed in place (a
 * user holds a few at most): an array of one costs about 30 bytes where a Set costs about 150, and
 * whoever iterates a user's connections while one of them opens or closes walks a stable list.
 */
import type { UserId } from './ids.js';
import type { Peer } from './peer.js';

export class LocalConnections {
  readonly #byUser = new Map<UserId, readonly Peer[]>();

  /** The user's connections on this node (never empty), or undefined when it has none. */
  of(userId: UserId): readonly Peer[] | undefined {
    return this.#byUser.get(userId);
  }

  has(userId: UserId): boolean {
    return this.#byUser.has(userId);
  }

  count(userId: UserId): number {
    return this.#byUser.get(userId)?.length ?? 0;
  }

  /** Users with at least one connection here. */
  get userCount(): number {
    return this.#byUser.size;
  }

  users(): IterableIterator<UserId> {
    return this.#byUser.keys();
  }

  entries(): IterableIterator<[UserId, readonly Peer[]]> {
    return this.#byUser.entries();
  }

  /** Adds; true when it is the user's first connection here. */
  add(userId: UserId, peer: Peer): boolean {
    const peers = this.#byUser.get(userId);
    if (peers === undefined) {
      this.#byUser.set(userId, [peer]);
      return true;
    }
    if (!peers.includes(peer)) this.#byUser.set(userId, [...peers, peer]);
    return false;
  }

  /** Removes; `undefined` when it was not there, else whether it was the user's last one here. */
  remove(userId: UserId, peer: Peer): boolean | undefined {
    const peers = this.#byUser.get(userId);
    if (peers === undefined || !peers.includes(peer)) return undefined;
    if (peers.length > 1) {
      this.#byUser.set(userId, peers.filter((p) => p !== peer));
      return false;
    }
    this.#byUser.delete(userId);
    return true;
  }
}
