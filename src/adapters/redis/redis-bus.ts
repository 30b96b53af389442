// Bus over Redis pub/sub: PUBLISH/SUBSCRIBE on one Redis, sharded SPUBLISH/SSUBSCRIBE on a Redis
// Cluster (one subscriber connection per master). Bounded publishing, reconnect with backoff,
// resubscription, and a heartbeat on every subscriber connection that finds a deaf one.
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { BackendError, silentLogger } from '../../core/ports.js';
import type { Bus, Channel, Delivery, Logger } from '../../core/ports.js';
import { decodeDeliveries, encodeDelivery, encodeDeliveryBinary, joinEncoded } from './redis-bus-codec.js';
import { PublishBatcher, publishPipelined } from './redis-publish-batcher.js';
import { PublishLink, type Publication } from './redis-publish-link.js';
import { BusSubscriber } from './redis-bus-subscriber.js';
import { readTopology, tagOwnedBy } from './redis-cluster-topology.js';
import type { ClusterTopology } from './redis-cluster-topology.js';
import { closeClient, connectClient, createCommandClient, isClientReady, nonNegative, positive, redisOptions, resolveTarget } from './redis-connection.js';
import type { RedisClient, RedisTarget } from './redis-connection.js';
import type { RedisBusOptions } from './redis-bus-options.js';
import { hashTag } from './redis-key-slot.js';

export type { RedisBusOptions } from './redis-bus-options.js';

const HANDED: Promise<void> = Promise.resolve();
/** Heartbeat ticks between two reads of a cluster's slot map (a moved slot is then followed). */
const TOPOLOGY_EVERY_TICKS = 10;

/**
 * Bus over Redis. At most once (Redis pub/sub keeps nothing for a disconnected subscriber).
 * Order: one command connection per Redis node, so deliveries one bus publishes on one channel
 * arrive in publish order. Bounded: past `maxPendingPublishes` / `maxPendingBytes` unanswered
 * publishes, and at once while disconnected, `publish` rejects with a BackendError.
 * `subscribe` while disconnected rejects too, but the channel stays wanted: it is subscribed on
 * reconnect, after which `onResubscribed` handlers run.
 */
export class RedisBus implements Bus {
  readonly name = 'redis';
  readonly isolated = false;
  readonly #target: RedisTarget;
  readonly #prefix: string;
  readonly #maxPending: number;
  readonly #maxPendingBytes: number;
  readonly #heartbeatIntervalMs: number;
  readonly #heartbeatTimeoutMs: number;
  readonly #logger: Logger;
  readonly #instance = randomUUID();
  readonly #commands: RedisClient;
  readonly #batcher: PublishBatcher;
  readonly #link: PublishLink | undefined;
  readonly #encode: (delivery: Delivery) => string | Buffer;
  readonly #wanted = new Set<string>();
  #subscribers = new Map<string, BusSubscriber>();
  #topology: ClusterTopology | undefined;
  #handler: ((delivery: Delivery) => void) | undefined;
  readonly #resubscribedHandlers: (() => void)[] = [];
  #pending = 0;
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #lastTickAt = Date.now();
  #rebuilding: Promise<void> | undefined;
  #started = false;
  #closed = false;

  constructor(options: RedisBusOptions) {
    this.#target = resolveTarget(options);
    this.#prefix = options.prefix ?? 'sb:';
    this.#maxPending = positive('maxPendingPublishes', options.maxPendingPublishes ?? 10_000);
    this.#maxPendingBytes = positive('maxPendingBytes', options.maxPendingBytes ?? 16 * 1024 * 1024);
    this.#heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 1_000);
    this.#heartbeatTimeoutMs = positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs ?? 2_000);
    this.#logger = options.logger ?? silentLogger;
    this.#commands = createCommandClient(this.#target, 'bus');
    const maxBatch = positive('maxBatchDeliveries', options.maxBatchDeliveries ?? 64);
    this.#encode = options.binaryFrames === false ? encodeDelivery : encodeDeliveryBinary;
    // Not with auto-pipelining, which defers single commands: a pipeline written at once would overtake them.
    if (!this.#target.cluster && options.publishWithoutReplies !== false) {
      this.#link = new PublishLink(createCommandClient(this.#target, 'bus-pub') as Redis, (why) => this.#logger.warn({ err: why }, 'redis bus: redis answered on the publish link; publishing with answers from now on'));
    }
    const sendAll = this.#target.cluster || this.#target.autoPipelining ? undefined : (list: readonly Publication[]) => this.#publishAll(list);
    const delayMs = nonNegative('batchDelayMs', options.batchDelayMs ?? 2);
    this.#batcher = new PublishBatcher((name, payload) => this.#publishRaw(name, payload), maxBatch, 256 * 1024, joinEncoded, sendAll, delayMs, {
      settled: (deliveries, bytes) => {
        this.#pending -= deliveries;
        this.#pendingBytes -= bytes;
      },
      failure: (error) => new BackendError(this.name, 'publish failed', { cause: error }),
    });
    this.#commands.on('error', (error: Error) => this.#logger.debug({ err: error.message }, 'redis bus command link error'));
  }

  async start(): Promise<void> {
    if (this.#closed || this.#started) return;
    this.#started = true;
    try {
      await connectClient(this.#commands);
      await this.#link?.connect();
      await this.#buildSubscribers();
    } catch (error) {
      // No connection keeps retrying behind a failed start: this bus is done; build a new one to retry.
      await this.close();
      throw new BackendError(this.name, 'could not connect to redis', { cause: error });
    }
    this.#timer = setInterval(() => this.#tick(), this.#heartbeatIntervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#batcher.flushAll();
    this.#link?.close();
    for (const subscriber of this.#subscribers.values()) subscriber.close();
    this.#subscribers.clear();
    await closeClient(this.#commands);
  }

  isReady(): boolean {
    if (this.#closed || !this.#started || !isClientReady(this.#commands) || this.#subscribers.size === 0) return false;
    for (const subscriber of this.#subscribers.values()) if (!subscriber.isReady()) return false;
    return true;
  }

  onDelivery(handler: (delivery: Delivery) => void): void {
    this.#handler = handler;
  }

  onResubscribed(handler: () => void): void {
    this.#resubscribedHandlers.push(handler);
  }

  async subscribe(channel: Channel): Promise<void> {
    if (this.#closed) return;
    const name = this.#redisName(channel);
    this.#wanted.add(name);
    await this.#subscriberOf(name)?.subscribe(name);
  }

  async unsubscribe(channel: Channel): Promise<void> {
    const name = this.#redisName(channel);
    if (!this.#wanted.delete(name)) return;
    try {
      await this.#subscriberOf(name)?.unsubscribe(name);
    } catch (error) {
      // Deliveries that still arrive are dropped (the channel is no longer wanted); a reconnect forgets it.
      this.#logger.debug({ err: String(error) }, 'redis bus unsubscribe failed');
    }
  }

  publish(channel: Channel, delivery: Delivery): Promise<void> {
    if (this.#closed) return HANDED;
    const payload = this.#encode(delivery);
    const waiting = this.#link?.usable() === true ? this.#link.backlog() : 0;
    if (this.#pending >= this.#maxPending || waiting + this.#pendingBytes + payload.length > this.#maxPendingBytes) {
      return Promise.reject(new BackendError(this.name, `publish refused: ${String(this.#pending)} publishes (${String(this.#pendingBytes)} bytes) pending, ${String(waiting)} bytes unwritten on the publish link`));
    }
    if (!isClientReady(this.#commands)) return Promise.reject(new BackendError(this.name, 'publish refused: not connected to redis'));
    this.#pending++;
    this.#pendingBytes += payload.length;
    // The batch's promise; what is pending is counted down once per batch (the batcher's hooks).
    return this.#batcher.add(this.#redisName(channel), payload);
  }

  #publishRaw(name: string, payload: string | Buffer): Promise<unknown> {
    if (this.#link?.usable() === true) {
      this.#link.publish([[name, payload]]);
      return HANDED;
    }
    return this.#target.cluster ? this.#commands.spublish(name, payload) : this.#commands.publish(name, payload);
  }

  /** One Redis: the publishes of one flush in one write, on the publish link when it is up, else as a pipeline. */
  #publishAll(list: readonly Publication[]): Promise<unknown>[] {
    if (this.#link?.usable() !== true) return publishPipelined(this.#commands as Redis, list);
    this.#link.publish(list);
    return list.map(() => HANDED);
  }

  #redisName(channel: Channel): string {
    return this.#prefix + hashTag(channel);
  }

  #subscriberOf(name: string): BusSubscriber | undefined {
    if (this.#topology === undefined) return this.#subscribers.values().next().value;
    const owner = this.#topology.ownerOf(name);
    return owner === undefined ? undefined : this.#subscribers.get(owner);
  }

  #receive(payload: Buffer): void {
    const { deliveries, invalid } = decodeDeliveries(payload);
    if (invalid > 0) this.#logger.warn({ invalid, bytes: payload.length }, 'redis bus dropped what is not a delivery');
    for (const delivery of deliveries) this.#handler?.(delivery);
  }

  #resubscribed(): void {
    this.#logger.info({}, 'redis bus resubscribed');
    for (const handler of this.#resubscribedHandlers) handler();
  }

  /** Opens the subscriber connection(s): one for a single Redis, one per master of a cluster. */
  async #buildSubscribers(): Promise<void> {
    const old = this.#subscribers;
    const next = new Map<string, BusSubscriber>();
    const common = {
      redisOptions: redisOptions(this.#target, 'bus-sub'),
      onMessage: (_channel: string, payload: Buffer) => this.#receive(payload),
      onResubscribed: () => this.#resubscribed(),
      onError: (error: Error) => this.#logger.debug({ err: error.message }, 'redis bus subscriber link error'),
    };
    if (!this.#target.cluster) {
      const url = this.#target.urls[0] as string;
      next.set(url, new BusSubscriber({ ...common, address: url, sharded: false, heartbeatChannel: `${this.#prefix}hb:${this.#instance}` }));
    } else {
      const topology = await readTopology(this.#commands as Cluster);
      this.#topology = topology;
      for (const shard of topology.shards) {
        const tag = tagOwnedBy(topology, shard, this.#prefix);
        const address = topology.addresses.get(shard) as { host: string; port: number };
        next.set(shard, new BusSubscriber({ ...common, address, sharded: true, heartbeatChannel: `${this.#prefix}${tag}:${this.#instance}` }));
      }
    }
    for (const subscriber of old.values()) subscriber.close();
    if (this.#closed) {
      // close() ran while the slot map was read: these connections have no owner left.
      for (const subscriber of next.values()) subscriber.close();
      return;
    }
    this.#subscribers = next;
    for (const name of this.#wanted) this.#subscriberOf(name)?.channels.add(name);
    await Promise.all([...next.values()].map((s) => s.start()));
  }

  /** Heartbeats every subscriber connection; reconnects a deaf one; follows a changed cluster slot map. */
  #tick(): void {
    if (this.#closed || this.#rebuilding !== undefined) return;
    const now = Date.now();
    const stalled = now - this.#lastTickAt > 2 * this.#heartbeatIntervalMs;
    this.#lastTickAt = now;
    let deaf = false;
    for (const subscriber of this.#subscribers.values()) {
      // After an event-loop stall the echo may sit unread in the socket: no verdict, start over.
      if (stalled) subscriber.heartbeatFailed();
      const due = subscriber.heartbeatDue(now, this.#heartbeatTimeoutMs);
      if (due === 'deaf' && isClientReady(this.#commands)) {
        deaf = true;
        // Judged again after the poll phase has read whatever already arrived.
        setImmediate(() => {
          if (this.#closed || subscriber.heartbeatDue(Date.now(), this.#heartbeatTimeoutMs) !== 'deaf') return;
          this.#logger.warn({ channel: subscriber.heartbeatChannel }, 'redis bus subscriber is deaf; reconnecting');
          subscriber.reconnect();
          // The heartbeat went out on the publish link: it may be the one that is deaf.
          this.#link?.reconnect();
        });
      } else if (due === 'send') {
        const payload = subscriber.heartbeatSent(now);
        this.#publishRaw(subscriber.heartbeatChannel, payload).catch(() => subscriber.heartbeatFailed());
      }
    }
    if (this.#topology !== undefined && (deaf || ++this.#ticks % TOPOLOGY_EVERY_TICKS === 0)) this.#followTopology();
  }

  #followTopology(): void {
    this.#rebuilding = (async () => {
      const topology = await readTopology(this.#commands as Cluster);
      if (this.#closed || topology.signature === this.#topology?.signature) return;
      this.#logger.warn({ shards: topology.shards }, 'redis cluster slot map changed; resubscribing');
      await this.#buildSubscribers();
      this.#resubscribed();
    })()
      .catch((error: unknown) => this.#logger.warn({ err: String(error) }, 'redis bus could not follow the cluster slot map'))
      .finally(() => {
        this.#rebuilding = undefined;
      });
  }
}

/** Factory in the `create<Thing>` style, for the composition root. */
export function createRedisBus(options: RedisBusOptions): RedisBus {
  return new RedisBus(options);
}
