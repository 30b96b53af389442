/**
 * Membership: which connections this node holds for which users, and this node's place in the
 * cluster. Admits authenticated connections (per-user cap, bus subscription on a user's first
 * connection here, presence), releases them, keeps this node's presence lease refreshed, and
 * reaps nodes whose lease ran out, so that a crashed node's users are reported gone.
 */
import { allChannel, nodeChannel, StaleEpochError, userChannel, type Bus, type Clock, type Logger, type Metrics, type OfflineUser, type Presence, type Scheduler } from './ports.js';
import type { Background } from './background.js';
import type { ClientApp, ClientApps } from './client-apps.js';
import type { NodeId, UserId } from './ids.js';
import type { LocalConnections } from './local-connections.js';
import type { Peer } from './peer.js';
import type { PresenceEvents } from './presence-events.js';

/** Told when a user arrives on this node (first connection here) or leaves it (last one closed). Plugins are these. */
export interface UserListener {
  userArrived?(app: ClientApp, userId: UserId): void;
  userLeft?(app: ClientApp, userId: UserId): void;
}

export interface MembershipOptions {
  readonly nodeId: NodeId;
  readonly apps: ClientApps;
  readonly presence: Presence;
  readonly bus: Bus;
  /** True on an isolated bus: no subscriptions needed. */
  readonly isolated: boolean;
  readonly local: LocalConnections;
  readonly events: PresenceEvents;
  readonly background: Background;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxConnectionsPerUser: number;
  /** How long this node's presence entries live without a refresh; refreshed every third of it, reaped every quarter. */
  readonly presenceTtlMs: number;
  /** Told when a user arrives on / leaves this node. */
  readonly plugins: readonly UserListener[];
  /** The cluster's route caches, told of a user's first connection here before it is admitted (core/routing/node-routes.ts). */
  readonly routes?: { arrived(userId: UserId): Promise<void> };
}

export class Membership {
  readonly #o: MembershipOptions;
  #epoch = 0;
  #cancelRefresh: (() => void) | undefined;
  #cancelReap: (() => void) | undefined;
  #stopped = false;
  /** The rejoin under way, shared by everyone who found this node's epoch stale meanwhile. */
  #rejoining: Promise<boolean> | undefined;

  constructor(options: MembershipOptions) {
    this.#o = options;
  }

  /** Registers this node (its epoch) and starts the refresh and the reaper. */
  async start(): Promise<void> {
    const o = this.#o;
    if (!o.isolated) {
      // Group messages and app-wide pushes cross once per node on `all`; control traffic for this node on its own channel.
      await o.bus.subscribe(allChannel);
      await o.bus.subscribe(nodeChannel(o.nodeId));
    }
    this.#epoch = await o.presence.registerNode(o.nodeId, o.presenceTtlMs);
    this.#scheduleRefresh();
    this.#scheduleReap();
  }

  /**
   * Registers an authenticated connection: local map, bus subscription on the user's first local
   * connection, presence (USER_CONNECTED to the master user on the first connection anywhere).
   * False when the user already holds the maximum number of connections.
   */
  async admit(peer: Peer, app: ClientApp, userId: UserId): Promise<boolean> {
    const o = this.#o;
    if (o.local.count(userId) >= o.maxConnectionsPerUser) return false;
    if ((await o.presence.connectionCount(userId)) >= o.maxConnectionsPerUser) return false;
    const first = o.local.add(userId, peer);
    if (first) o.metrics.usersOnline(o.local.userCount);
    try {
      if (first && !o.isolated) await o.bus.subscribe(userChannel(userId));
      const epoch = this.#epoch;
      try {
        const { firstForUser, generation } = await o.presence.addConnection(userId, peer.transport.id, o.nodeId, epoch);
        if (firstForUser) o.events.report(app, 'USER_CONNECTED', userId, generation);
      } catch (err) {
        // This node's registration was lost (presence restarted empty, or this node was reaped):
        // registering again adds every local connection back, this one included.
        if (!(err instanceof StaleEpochError) || !(await this.#rejoinOnce(epoch))) throw err;
      }
      // Not fatal: a cache that missed it reads presence again within its TTL.
      if (first && o.routes !== undefined) await o.routes.arrived(userId).catch((err: unknown) => o.logger.warn({ err: String(err), userId }, 'could not announce a user\'s arrival to the route caches'));
      if (first) for (const plugin of o.plugins) plugin.userArrived?.(app, userId);
      return true;
    } catch (err) {
      // A backend failed half-way: undo, so that nothing is delivered to an unadmitted connection.
      this.release(peer, app, userId);
      throw err;
    }
  }

  /** Undoes `admit` when the connection closes. */
  release(peer: Peer, app: ClientApp, userId: UserId): void {
    const o = this.#o;
    const last = o.local.remove(userId, peer);
    if (last === undefined) return;
    if (last) o.metrics.usersOnline(o.local.userCount);
    if (last && !o.isolated) o.background.track(o.bus.unsubscribe(userChannel(userId)), 'bus');
    if (last) for (const plugin of o.plugins) plugin.userLeft?.(app, userId);
    o.background.track(
      o.presence.removeConnection(userId, peer.transport.id).then(({ lastForUser, generation }) => {
        if (lastForUser) o.events.report(app, 'USER_DISCONNECTED', userId, generation);
      }),
      'presence',
    );
  }

  /** Stops the timers and takes this node out of presence (after its connections were released). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelRefresh?.();
    this.#cancelReap?.();
    try {
      const offline = await this.#o.presence.deregisterNode(this.#o.nodeId, this.#epoch);
      this.#reportGone(offline);
    } catch (err) {
      this.#o.background.failed('presence', err);
    }
  }

  #scheduleRefresh(): void {
    if (this.#stopped) return;
    this.#cancelRefresh = this.#o.scheduler.after(Math.max(50, Math.floor(this.#o.presenceTtlMs / 3)), () => void this.#refresh());
  }

  #scheduleReap(): void {
    if (this.#stopped) return;
    this.#cancelReap = this.#o.scheduler.after(Math.max(50, Math.floor(this.#o.presenceTtlMs / 4)), () => void this.#reap());
  }

  async #refresh(): Promise<void> {
    const o = this.#o;
    try {
      await o.presence.refreshNode(o.nodeId, this.#epoch, o.presenceTtlMs);
    } catch (err) {
      if (err instanceof StaleEpochError && !this.#stopped) await this.#rejoinOnce(this.#epoch);
      else o.background.failed('presence', err);
    } finally {
      this.#scheduleRefresh();
    }
  }

  /** Rejoins once for everyone who found `staleEpoch` stale; true when this node is registered again. */
  #rejoinOnce(staleEpoch: number): Promise<boolean> {
    if (this.#epoch !== staleEpoch) return Promise.resolve(true); // someone already rejoined
    this.#rejoining ??= this.#rejoin().finally(() => (this.#rejoining = undefined));
    return this.#rejoining;
  }

  /**
   * This node's lease ran out (paused, or cut off from presence) and its connections were reaped:
   * register again and add back every connection still open here. False when that failed.
   */
  async #rejoin(): Promise<boolean> {
    const o = this.#o;
    o.logger.warn({}, 'presence lease lost; registering again');
    try {
      this.#epoch = await o.presence.registerNode(o.nodeId, o.presenceTtlMs);
      for (const [userId, peers] of o.local.entries()) {
        const app = o.apps.appOfUser(userId);
        for (const peer of peers) {
          const { firstForUser, generation } = await o.presence.addConnection(userId, peer.transport.id, o.nodeId, this.#epoch);
          if (firstForUser && app !== undefined) o.events.report(app, 'USER_CONNECTED', userId, generation);
        }
      }
      return true;
    } catch (err) {
      o.background.failed('presence', err);
      return false;
    }
  }

  async #reap(): Promise<void> {
    try {
      const expired = await this.#o.presence.expireNodes(this.#o.clock());
      for (const node of expired) {
        this.#o.logger.warn({ expiredNode: node.nodeId, offline: node.offline.length }, 'node lease expired; its connections removed');
        this.#reportGone(node.offline);
      }
    } catch (err) {
      this.#o.background.failed('presence', err);
    } finally {
      this.#scheduleReap();
    }
  }

  /** USER_DISCONNECTED for users a reaped or deregistered node left offline, with their transitions' generations. */
  #reportGone(users: readonly OfflineUser[]): void {
    for (const { userId, generation } of users) {
      const app = this.#o.apps.appOfUser(userId);
      if (app !== undefined) this.#o.events.report(app, 'USER_DISCONNECTED', userId, generation);
    }
  }
}
