/**
 * Hub: builds the node's parts (membership, router, delivery, held messages, confirmations,
 * missing messages) around the injected ports and owns their lifecycle. It holds no rules of its
 * own: those live in the parts; a connection reaches them through `Services`.
 */
import { Disconnect } from '../protocol/close-codes.js';
import { Background } from './background.js';
import type { ClientApps } from './client-apps.js';
import { Connection } from './connection.js';
import { Confirmations } from './delivery/confirmations.js';
import { HeldMessages } from './delivery/held-messages.js';
import { LocalDelivery } from './delivery/local-delivery.js';
import { createPublisher } from './delivery/publisher.js';
import { NodeRoutes } from './routing/node-routes.js';
import { DeliveryTracker } from './delivery-tracker.js';
import { createFrameRegistry } from './frames/index.js';
import type { FrameModule, FrameRegistry, ParsedFrame } from './frames/frame-module.js';
import { createIdGenerator, type NodeId } from './ids.js';
import { LocalConnections } from './local-connections.js';
import { Membership } from './membership.js';
import { MissingMessages } from './missing-messages.js';
import type { Plugin } from './plugin.js';
import type { AuthVerifier, Bus, Clock, Lease, Logger, MessageStore, Metrics, Presence, Scheduler } from './ports.js';
import { KeptPresence } from './kept-presence.js';
import { PresenceEvents } from './presence-events.js';
import { Router, type MessageEncoder } from './routing/router.js';
import type { HubLimits, Services } from './services.js';
import type { Transport } from './transport.js';

export type { HubLimits } from './services.js';
export { MAX_HELD } from './delivery/held-messages.js';

export interface HubOptions {
  readonly nodeId: NodeId;
  readonly apps: ClientApps;
  readonly bus: Bus;
  readonly presence: Presence;
  readonly store: MessageStore;
  /** Elects one holder per name cluster-wide (SSE bridges, per-user jobs, the version poll). */
  readonly lease: Lease;
  readonly auth: AuthVerifier;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly limits: HubLimits;
  readonly encodeMessage: MessageEncoder;
  /** Frame types beyond contract §3 (topics, commands, …), each one module. */
  readonly frames?: readonly FrameModule<ParsedFrame>[];
  /** Capabilities plugged into the core (core/plugin.ts). */
  readonly plugins?: readonly Plugin[];
}

export class Hub {
  readonly services: Services;
  readonly frames: FrameRegistry;
  readonly #background: Background;
  readonly #tracker: DeliveryTracker;
  readonly #held: HeldMessages;
  readonly #kept: KeptPresence;
  /** All open connections, authenticated or not (for shutdown and sweeps). */
  readonly #connections = new Set<Connection>();
  readonly #plugins: readonly Plugin[];

  constructor(o: HubOptions) {
    const background = new Background(o.logger, o.metrics);
    const local = new LocalConnections();
    const tracker = new DeliveryTracker({ store: o.store, track: background.track, clock: o.clock, scheduler: o.scheduler });
    const isolated = o.bus.isolated === true;
    const nextId = createIdGenerator(o.nodeId, o.clock());
    const held = new HeldMessages({
      // Held messages keep their crash guarantee only on one node: in a cluster every RELIABLE message is stored first.
      reliableHoldMs: isolated ? o.limits.reliableHoldMs : 0,
      store: o.store,
      local,
      tracker,
      background,
      scheduler: o.scheduler,
      clock: o.clock,
      metrics: o.metrics,
    });
    // Confirmations publish through the publisher, which delivers through LocalDelivery, which confirms: tied here.
    const confirmations = new Confirmations({ nodeId: o.nodeId, isolated, local, append: (e) => held.append(e), publish: (c, d) => publisher.publish(c, d), background, clock: o.clock });
    const delivery = new LocalDelivery(local, tracker, confirmations, o.clock, o.metrics, o.scheduler);
    const publisher = createPublisher(o.nodeId, o.bus, delivery, background);
    const kept = new KeptPresence({ append: (e) => held.append(e), scheduler: o.scheduler });
    const nodesOf = o.presence.nodesOf?.bind(o.presence);
    const routes = isolated || nodesOf === undefined ? undefined : new NodeRoutes({ nodeId: o.nodeId, bus: o.bus, publisher, local, lookup: nodesOf, clock: o.clock, background, logger: o.logger });
    const events = new PresenceEvents({ nodeId: o.nodeId, publisher, presence: o.presence, kept, nextId, clock: o.clock, background });
    const plugins = o.plugins ?? [];
    const membership = new Membership({
      nodeId: o.nodeId,
      apps: o.apps,
      presence: o.presence,
      bus: o.bus,
      isolated,
      local,
      events,
      background,
      scheduler: o.scheduler,
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
      maxConnectionsPerUser: o.limits.maxConnectionsPerUser,
      presenceTtlMs: o.limits.presenceTtlMs,
      ...(routes === undefined ? {} : { routes }),
      // A user's last connection here closed: the presence order of what it heard as a master user goes too.
      plugins: [{ userLeft: (_app, userId) => delivery.presenceOrder.forget(userId) }, ...plugins],
    });
    const router = new Router({ nodeId: o.nodeId, nextId, clock: o.clock, metrics: o.metrics, bus: o.bus, local, delivery, held, publisher, background, encodeMessage: o.encodeMessage, storeReady: () => o.store.isReady(), ...(routes === undefined ? {} : { routes }) });
    const missing = new MissingMessages(o.store, held, kept, tracker, confirmations, background, o.presence);
    this.services = {
      nodeId: o.nodeId,
      apps: o.apps,
      auth: o.auth,
      clock: o.clock,
      scheduler: o.scheduler,
      logger: o.logger,
      metrics: o.metrics,
      limits: o.limits,
      bus: o.bus,
      presence: o.presence,
      store: o.store,
      lease: o.lease,
      local,
      delivery,
      publisher,
      router,
      missing,
      membership,
      plugins,
    };
    this.frames = createFrameRegistry();
    for (const module of o.frames ?? []) this.frames.register(module);
    for (const plugin of plugins) for (const module of plugin.frames ?? []) this.frames.register(module);
    for (const plugin of plugins) plugin.attach?.(this.services);
    this.#plugins = plugins;
    this.#background = background;
    this.#tracker = tracker;
    this.#held = held;
    this.#kept = kept;
  }

  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** RELIABLE entries written to local connections and not yet proven received (a queue depth). */
  get inFlightCount(): number {
    return this.#tracker.size;
  }

  /** Store and bus operations issued and not yet settled (a queue depth). */
  get backgroundCount(): number {
    return this.#background.size;
  }

  /** After the backends started: joins the cluster (presence registration, lease refresh, reaper). */
  async start(): Promise<void> {
    await this.services.membership.start();
    for (const plugin of this.#plugins) await plugin.start?.();
  }

  /** A new connection: core's handle for its frames. */
  openConnection(transport: Transport): Connection {
    const connection = new Connection(transport, this.services, this.frames);
    this.#connections.add(connection);
    this.services.metrics.connectionOpened();
    return connection;
  }

  /** The transport closed: forget the connection. */
  closeConnection(connection: Connection, code: number): void {
    if (!this.#connections.delete(connection)) return;
    connection.closed();
    for (const plugin of this.#plugins) plugin.connectionClosed?.(connection, code);
    this.services.metrics.connectionClosed(code);
  }

  /** Closes every connection with `disconnect` (1001 on shutdown) and waits for background work. */
  async shutdown(): Promise<void> {
    for (const c of this.#connections) c.transport.close(Disconnect.ShuttingDown);
    // Before the flush: what plugins hold open (a resume session's unproven deliveries) must let go.
    for (const plugin of this.#plugins) plugin.draining?.();
    await this.settle();
  }

  /** Leaves the cluster (after shutdown): this node's presence entries go. */
  async leave(): Promise<void> {
    for (const plugin of this.#plugins) {
      try {
        await plugin.stop?.();
      } catch (err) {
        this.#background.failed(plugin.name, err);
      }
    }
    await this.services.membership.stop();
    await this.settle();
  }

  /** Waits until background store/bus work issued so far has settled. */
  settle(): Promise<void> {
    return this.#background.settle(() => {
      this.#held.storeAll();
      // The reports that queued them wait for their append (tracked work): only the window is cut short.
      if (this.#kept.queued > 0) void this.#kept.flush();
      this.#tracker.flush();
    });
  }
}
