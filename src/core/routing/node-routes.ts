/**
 * NodeRoutes: seed 004's routing of 1:1 messages in a cluster. A message goes on the node channel
 * (`n:<node>`) of every other node holding a connection of its recipient, so that the bus can put
 * the many deliveries a node sends to one other node into one publish (docs/architecture.md,
 * "Routing"). Which nodes hold a user comes from presence (`Presence.nodesOf`), kept in a bounded
 * cache that is corrected three ways:
 * - a node that gets its first connection of a user says so on `all` (`route` `arrived`) before the
 *   connection is admitted: every cache that knows the user adds that node;
 * - a node sent a message for a user it does not hold sends it on at once on `u:<user>` (the
 *   channel of the nodes that do hold the user; those in `routedTo` had it already) and tells the
 *   sender (`route` `gone`), which forgets the user and reads presence again on its next message;
 * - an entry older than `ttlMs` is read again (the old one is used meanwhile).
 * A user not in the cache: its messages wait, in order, for one presence read (at most
 * `maxWaiting` messages over all users; past that, or when the read fails, they go on `u:<user>`).
 * Order: a user's messages leave on the same channels in the order they were sent; while its
 * connections move between nodes (a reconnect), one sent on by a node it left can arrive after a
 * later one that went to its new node directly.
 */
import type { Background } from '../background.js';
import type { NodeId, UserId } from '../ids.js';
import type { LocalConnections } from '../local-connections.js';
import { allChannel, nodeChannel, userChannel, type Bus, type Channel, type Clock, type Delivery, type Logger } from '../ports.js';
import type { Publisher } from '../delivery/publisher.js';

type MessageDelivery = Extract<Delivery, { kind: 'message' }>;

export interface NodeRoutesOptions {
  readonly nodeId: NodeId;
  readonly bus: Bus;
  readonly publisher: Publisher;
  readonly local: LocalConnections;
  /** The nodes holding a connection of the user (Presence.nodesOf). */
  readonly lookup: (userId: UserId) => Promise<readonly NodeId[]>;
  readonly clock: Clock;
  readonly background: Background;
  readonly logger: Logger;
  /** How long a cache entry is used before presence is read again (arrivals and misroutes correct it sooner). @default 60000 */
  readonly ttlMs?: number;
  /** Users whose nodes are cached; the oldest entry goes past it. @default 100000 */
  readonly maxEntries?: number;
  /** Messages waiting for a presence read, over all users. @default 10000 */
  readonly maxWaiting?: number;
}

interface Entry {
  /** Other nodes holding the user (this one excluded). */
  nodes: readonly NodeId[];
  at: number;
  reading: boolean;
}

interface Waiting {
  readonly delivery: MessageDelivery;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const HANDED: Promise<void> = Promise.resolve();

export class NodeRoutes {
  readonly #o: NodeRoutesOptions;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxWaiting: number;
  readonly #entries = new Map<UserId, Entry>();
  readonly #waiting = new Map<UserId, Waiting[]>();
  readonly #channels = new Map<NodeId, Channel>();
  /** Arrivals heard for users whose first read is under way. */
  readonly #heard = new Map<UserId, NodeId[]>();
  #waitingCount = 0;

  constructor(options: NodeRoutesOptions) {
    this.#o = options;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#maxWaiting = options.maxWaiting ?? 10_000;
    options.publisher.intercept((d) => this.#take(d));
  }

  /** Users whose nodes are cached (a gauge for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Hands a message to its recipient's connections: here at once, on other nodes through their
   * node channels. Resolves once the bus took every copy; rejects when it refused one.
   */
  publish(delivery: MessageDelivery): Promise<void> {
    const o = this.#o;
    o.publisher.deliverHere(delivery);
    const to = delivery.to;
    const entry = this.#entries.get(to);
    if (entry !== undefined) {
      if (!entry.reading && o.clock() - entry.at > this.#ttlMs) this.#read(to, entry);
      return this.#send(entry.nodes, delivery);
    }
    const queue = this.#waiting.get(to);
    if (queue === undefined && this.#waitingCount >= this.#maxWaiting) return o.bus.publish(userChannel(to), delivery);
    return new Promise<void>((resolve, reject) => {
      this.#waitingCount++;
      if (queue !== undefined) queue.push({ delivery, resolve, reject });
      else {
        this.#waiting.set(to, [{ delivery, resolve, reject }]);
        this.#read(to, undefined);
      }
    });
  }

  /** This node got its first connection of `userId`: tells every node's cache (before the connection is admitted). */
  arrived(userId: UserId): Promise<void> {
    return this.#o.bus.publish(allChannel, { kind: 'route', origin: this.#o.nodeId, to: userId, op: 'arrived' });
  }

  #send(nodes: readonly NodeId[], delivery: MessageDelivery): Promise<void> {
    if (nodes.length === 0) return HANDED;
    // Set on the delivery itself (written here already, and nothing here reads the field): a copy of every field costs more.
    const routed = delivery as { routedTo?: readonly NodeId[] } & MessageDelivery;
    routed.routedTo = nodes;
    if (nodes.length === 1) return this.#o.bus.publish(this.#channelOf(nodes[0] as NodeId), routed);
    return Promise.all(nodes.map((n) => this.#o.bus.publish(this.#channelOf(n), routed))).then(() => undefined);
  }

  #channelOf(node: NodeId): Channel {
    let channel = this.#channels.get(node);
    if (channel === undefined) {
      if (this.#channels.size >= 10_000) this.#channels.clear();
      channel = nodeChannel(node);
      this.#channels.set(node, channel);
    }
    return channel;
  }

  /** Reads the user's nodes; then sends what waited for them, in order. */
  #read(to: UserId, entry: Entry | undefined): void {
    const o = this.#o;
    if (entry !== undefined) entry.reading = true;
    this.#heard.set(to, []);
    o.lookup(to).then(
      (nodes) => {
        // Arrivals heard while the read was under way are kept: presence may have been read before them.
        const others = [...new Set([...nodes, ...(this.#heard.get(to) ?? [])])].filter((n) => n !== o.nodeId);
        this.#heard.delete(to);
        this.#remember(to, { nodes: others, at: o.clock(), reading: false });
        this.#release(to, (d) => this.#send(others, d));
      },
      (err: unknown) => {
        o.logger.warn({ err: String(err), userId: to }, 'could not read the nodes of a user; its messages go on its user channel');
        this.#heard.delete(to);
        if (entry !== undefined) entry.reading = false;
        this.#release(to, (d) => o.bus.publish(userChannel(to), d));
      },
    );
  }

  #release(to: UserId, send: (d: MessageDelivery) => Promise<void>): void {
    const queue = this.#waiting.get(to);
    if (queue === undefined) return;
    this.#waiting.delete(to);
    this.#waitingCount -= queue.length;
    for (const w of queue) send(w.delivery).then(w.resolve, w.reject);
  }

  #remember(to: UserId, entry: Entry): void {
    this.#entries.delete(to);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(to, entry);
  }

  /** Bus deliveries this module takes: route notices, and messages routed here for a user this node does not hold. */
  #take(d: Delivery): boolean {
    const o = this.#o;
    if (d.kind === 'route') {
      const entry = this.#entries.get(d.to);
      if (d.op === 'arrived') this.#heard.get(d.to)?.push(d.origin);
      if (entry === undefined) return true;
      if (d.op === 'arrived') {
        if (!entry.nodes.includes(d.origin)) entry.nodes = [...entry.nodes, d.origin];
      } else if (entry.nodes.includes(d.origin)) {
        // Forgotten: the next message waits for a fresh read (one sent meanwhile was sent on by that node).
        this.#entries.delete(d.to);
      }
      return true;
    }
    if (d.kind !== 'message' || d.routedTo === undefined) return false;
    if (d.forwarded === true) return d.routedTo.includes(o.nodeId); // had it already, directly
    if (o.local.has(d.to)) return false;
    o.background.track(o.bus.publish(userChannel(d.to), { ...d, forwarded: true }), 'bus');
    o.background.track(o.bus.publish(this.#channelOf(d.origin), { kind: 'route', origin: o.nodeId, to: d.to, op: 'gone' }), 'bus');
    return true;
  }
}
