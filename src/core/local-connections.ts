/**
 * LocalConnections: the authenticated connections of this node, per user. Pure bookkeeping; who
 * may join is membership.ts's decision.
 */
import type { UserId } from './ids.js';
import type { Peer } from './peer.js';

export class LocalConnections {
  readonly #byUser = new Map<UserId, Set<Peer>>();

  /** The user's connections on this node, or undefined when it has none. */
  of(userId: UserId): Set<Peer> | undefined {
    return this.#byUser.get(userId);
  }

  has(userId: UserId): boolean {
    return this.#byUser.has(userId);
  }

  count(userId: UserId): number {
    return this.#byUser.get(userId)?.size ?? 0;
  }

  /** Users with at least one connection here. */
  get userCount(): number {
    return this.#byUser.size;
  }

  users(): IterableIterator<UserId> {
    return this.#byUser.keys();
  }

  entries(): IterableIterator<[UserId, Set<Peer>]> {
    return this.#byUser.entries();
  }

  /** Adds; true when it is the user's first connection here. */
  add(userId: UserId, peer: Peer): boolean {
    let set = this.#byUser.get(userId);
    const first = set === undefined;
    if (set === undefined) this.#byUser.set(userId, (set = new Set()));
    set.add(peer);
    return first;
  }

  /** Removes; `undefined` when it was not there, else whether it was the user's last one here. */
  remove(userId: UserId, peer: Peer): boolean | undefined {
    const set = this.#byUser.get(userId);
    if (set === undefined || !set.delete(peer)) return undefined;
    if (set.size > 0) return false;
    this.#byUser.delete(userId);
    return true;
  }
}
