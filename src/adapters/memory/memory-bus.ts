// In-process Bus: hands deliveries to the handler of every MemoryBus on the same network that is
// subscribed to the delivery's channel. No I/O; for single-node mode and tests.
import type { Bus, Channel, Delivery } from '../../core/ports.js';

/** Every publish answers with this one settled promise: nothing to wait for in memory. */
const HANDED: Promise<void> = Promise.resolve();

/**
 * Connects the MemoryBus instances of several in-process gateway nodes, so that a delivery
 * published on one reaches the others. Each MemoryBus without an explicit network gets its own.
 */
export class MemoryBusNetwork {
  readonly #members = new Set<(channel: Channel, delivery: Delivery) => void>();

  /** Adds a node's receive function; returns the function that removes it again. */
  join(receive: (channel: Channel, delivery: Delivery) => void): () => void {
    this.#members.add(receive);
    return () => this.#members.delete(receive);
  }

  /** Offers one delivery to every node on the network; each keeps it only for its subscribed channels. */
  route(channel: Channel, delivery: Delivery): void {
    for (const receive of this.#members) receive(channel, delivery);
  }
}

export interface MemoryBusOptions {
  /**
   * Network shared with other in-process nodes.
   * @default a private network (this bus alone)
   */
  readonly network?: MemoryBusNetwork;
}

/**
 * Bus in process memory.
 *
 * At most once: a delivery reaches the handler only if its channel is subscribed both when it is
 * published and when it is handed over; nothing is queued for unsubscribed channels.
 * Asynchronous: the handler runs in a later microtask, never inside `publish` (one microtask
 * hands over everything received since the last one).
 * Order: deliveries on one channel arrive in publish order (microtasks run first in, first out).
 * Unbounded in memory only for the span of one microtask: nothing waits longer.
 * The handler must not throw; a throw surfaces as an unhandled rejection (fatal under Node's default).
 */
export class MemoryBus implements Bus {
  readonly name = 'memory';
  /** True with a private network (the default): no other node can hold a connection. */
  readonly isolated: boolean;
  readonly #network: MemoryBusNetwork;
  readonly #subscribed = new Set<Channel>();
  #handler: ((delivery: Delivery) => void) | undefined;
  /** Deliveries received and not yet handed over, with their channels; drained by one microtask, in order. */
  #inbox: Array<[Channel, Delivery]> = [];
  #drainScheduled = false;
  readonly #drain = (): void => {
    this.#drainScheduled = false;
    const batch = this.#inbox;
    this.#inbox = [];
    // Re-checked: the channel may have been unsubscribed (or the bus closed) since publish.
    for (const [channel, delivery] of batch) if (this.#subscribed.has(channel)) this.#handler?.(delivery);
  };
  #leave: (() => void) | undefined;
  #ready = false;
  #closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.isolated = options.network === undefined;
    this.#network = options.network ?? new MemoryBusNetwork();
  }

  start(): Promise<void> {
    if (!this.#closed) {
      this.#leave ??= this.#network.join((channel, delivery) => this.#receive(channel, delivery));
      this.#ready = true;
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    this.#subscribed.clear();
    this.#leave?.();
    this.#leave = undefined;
    return Promise.resolve();
  }

  isReady(): boolean {
    return this.#ready;
  }

  onDelivery(handler: (delivery: Delivery) => void): void {
    this.#handler = handler;
  }

  subscribe(channel: Channel): Promise<void> {
    if (!this.#closed) this.#subscribed.add(channel);
    return Promise.resolve();
  }

  unsubscribe(channel: Channel): Promise<void> {
    this.#subscribed.delete(channel);
    return Promise.resolve();
  }

  /** Resolves once handed to the network; a closed bus drops the delivery (at most once). */
  publish(channel: Channel, delivery: Delivery): Promise<void> {
    if (!this.#closed) this.#network.route(channel, delivery);
    return HANDED;
  }

  #receive(channel: Channel, delivery: Delivery): void {
    if (!this.#subscribed.has(channel)) return;
    this.#inbox.push([channel, delivery]);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      void HANDED.then(this.#drain);
    }
  }
}
