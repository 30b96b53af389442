// In-process Bus: hands deliveries to the handler of every MemoryBus on the same network that is
// subscribed to the channel. No I/O; for single-node mode and tests.
import { BackendError } from '../../core/ports.js';
import type { Bus, Channel, Delivery } from '../../core/ports.js';

/** Every publish answers with this one settled promise: nothing to wait for in memory. */
const HANDED: Promise<void> = Promise.resolve();

type Receive = (channel: Channel, delivery: Delivery) => void;

/**
 * Connects the MemoryBus instances of several in-process gateway nodes, so that a delivery
 * published on one reaches the others. Each MemoryBus without an explicit network gets its own.
 */
export class MemoryBusNetwork {
  readonly #members = new Set<Receive>();

  /** Adds a node's receive function; returns the function that removes it again. */
  join(receive: Receive): () => void {
    this.#members.add(receive);
    return () => this.#members.delete(receive);
  }

  /** Offers one delivery to every node on the network; each keeps it only when subscribed to the channel. */
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
  /**
   * Most publishes handed to the network and not yet handed to the subscribers (they are handed
   * over one microtask later); past it `publish` rejects with a BackendError at once.
   * @default 100000
   */
  readonly maxPendingPublishes?: number;
}

/**
 * Bus in process memory.
 *
 * At most once: a delivery reaches a node's handler only if that node is subscribed to the channel
 * both when it is published and when it is handed over; nothing is queued for later subscribers.
 * Asynchronous: the handler runs in a later microtask, never inside `publish` (one microtask
 * hands over everything received since the last one).
 * Order: deliveries on one channel arrive in publish order (microtasks run first in, first out).
 * Frames are handed over as published (a Uint8Array frame stays a Uint8Array).
 * The handler must not throw; a throw surfaces as an unhandled rejection (fatal under Node's default).
 */
export class MemoryBus implements Bus {
  readonly name = 'memory';
  /** True with a private network (the default): no other node can hold a connection. */
  readonly isolated: boolean;
  readonly #network: MemoryBusNetwork;
  readonly #maxPendingPublishes: number;
  readonly #subscribed = new Set<Channel>();
  #handler: ((delivery: Delivery) => void) | undefined;
  /** Deliveries received and not yet handed over; drained by one microtask, in order. */
  #inbox: { channel: Channel; delivery: Delivery }[] = [];
  #drainScheduled = false;
  readonly #drain = (): void => {
    this.#drainScheduled = false;
    const batch = this.#inbox;
    this.#inbox = [];
    // Re-checked: the channel may have been unsubscribed (or the bus closed) since publish.
    for (const { channel, delivery } of batch) if (this.#subscribed.has(channel)) this.#handler?.(delivery);
  };
  /** Publishes of this tick; reset one microtask later, once every receiver has its copy queued. */
  #pendingPublishes = 0;
  readonly #resetPending = (): void => {
    this.#pendingPublishes = 0;
  };
  #leave: (() => void) | undefined;
  #ready = false;
  #closed = false;

  constructor(options: MemoryBusOptions = {}) {
    const max = options.maxPendingPublishes ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxPendingPublishes must be a positive integer, got ${String(max)}`);
    this.isolated = options.network === undefined;
    this.#network = options.network ?? new MemoryBusNetwork();
    this.#maxPendingPublishes = max;
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

  /** Never called back: a memory bus never loses its subscriptions. */
  onResubscribed(_handler: () => void): void {
    // Nothing to remember: there is no connection that could drop.
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
    if (this.#closed) return HANDED;
    if (this.#pendingPublishes >= this.#maxPendingPublishes) {
      return Promise.reject(new BackendError(this.name, `more than ${String(this.#maxPendingPublishes)} publishes pending`));
    }
    if (this.#pendingPublishes++ === 0) void HANDED.then(this.#resetPending);
    this.#network.route(channel, delivery);
    return HANDED;
  }

  #receive(channel: Channel, delivery: Delivery): void {
    if (!this.#subscribed.has(channel)) return;
    this.#inbox.push({ channel, delivery });
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      void HANDED.then(this.#drain);
    }
  }
}
