/**
 * LocalConnections: the authenticated connections of this node, per user. Pure bookkeeping; who
 * may join is membership.ts's decision.
 *
 * A user with one connection (most users) is kept as that connection itself, with no list of its
 * own; a user with more has a small array, replaced on every change, never changed in place (a
 * user holds a few at most). The lists handed out are stable: whoever iterates a user's
 * connections while one of them opens or closes walks the list as it was.
 */
import type { UserId } from './ids.js';
import type { Peer } from './peer.js';

export class LocalConnections {
  readonly #byUser = new Map<UserId, Peer | readonly Peer[]>();

  /** The user's connections on this node (never empty), or undefined when it has none. */
  of(userId: UserId): readonly Peer[] | undefined {
    const peers = this.#byUser.get(userId);
    // A list of one is made when asked for (a few nanoseconds), not kept per idle user (56 bytes).
    return peers === undefined || Array.isArray(peers) ? (peers as readonly Peer[] | undefined) : [peers as Peer];
  }

  has(userId: UserId): boolean {
    return this.#byUser.has(userId);
  }

  count(userId: UserId): number {
    const peers = this.#byUser.get(userId);
    return peers === undefined ? 0 : Array.isArray(peers) ? peers.length : 1;
  }

  /** Users with at least one connection here. */
  get userCount(): number {
    return this.#byUser.size;
  }

  users(): IterableIterator<UserId> {
    return this.#byUser.keys();
  }

  *entries(): IterableIterator<[UserId, readonly Peer[]]> {
    for (const [userId, peers] of this.#byUser) yield [userId, Array.isArray(peers) ? (peers as readonly Peer[]) : [peers as Peer]];
  }

  /** Adds; true when it is the user's first connection here. */
  add(userId: UserId, peer: Peer): boolean {
    const peers = this.of(userId);
    if (peers === undefined) {
      this.#byUser.set(userId, peer);
      return true;
    }
    if (!peers.includes(peer)) this.#byUser.set(userId, [...peers, peer]);
    return false;
  }

  /** Removes; `undefined` when it was not there, else whether it was the user's last one here. */
  remove(userId: UserId, peer: Peer): boolean | undefined {
    const peers = this.of(userId);
    if (peers === undefined || !peers.includes(peer)) return undefined;
    if (peers.length > 1) {
      const left = peers.filter((p) => p !== peer);
      this.#byUser.set(userId, left.length === 1 ? left[0]! : left);
      return false;
    }
    this.#byUser.delete(userId);
    return true;
  }
}
