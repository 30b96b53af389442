// One subscriber connection of the Redis bus: a single Redis (SUBSCRIBE) or one shard of a Redis
// Cluster (SSUBSCRIBE, channels of the slots that shard owns). It resubscribes every wanted channel
// after each reconnect and tracks the heartbeat that proves the subscription still delivers.
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { BackendError } from '../../core/ports.js';

export interface SubscriberOptions {
  /** `redis://…` URL (single Redis) or the host and port of a cluster shard's master. */
  readonly address: string | { readonly host: string; readonly port: number };
  readonly redisOptions: RedisOptions;
  /** SSUBSCRIBE (cluster shard) instead of SUBSCRIBE. */
  readonly sharded: boolean;
  /** A channel of this connection's own, on which the bus publishes heartbeats to itself. */
  readonly heartbeatChannel: string;
  /** `payload` as received (bytes: no string is made of a frame that goes on as bytes). */
  readonly onMessage: (channel: string, payload: Buffer) => void;
  /** Called after the connection came back and every wanted channel is subscribed again. */
  readonly onResubscribed: () => void;
  readonly onError: (error: Error) => void;
}

/** Most channels named in one SUBSCRIBE command when resubscribing. */
const BATCH = 500;

export class BusSubscriber {
  /** Redis channel names this connection must hold (also while disconnected). */
  readonly channels = new Set<string>();
  readonly heartbeatChannel: string;
  readonly #options: SubscriberOptions;
  readonly #conn: Redis;
  #subscribed = false;
  #everReady = false;
  #closed = false;
  /** Heartbeat: last sequence sent, when, and whether its echo is still awaited. */
  #heartbeatSeq = 0;
  #heartbeatSentAt = 0;
  #awaitingHeartbeat = false;
  /**
   * Progress of the socket, read at each heartbeat tick (nothing on the hot path): its bytesRead
   * then, and when that last changed (Date.now()). A connection that reads is behind, not deaf.
   */
  #bytesSeen = -1;
  #progressAt = 0;

  constructor(options: SubscriberOptions) {
    this.#options = options;
    this.heartbeatChannel = options.heartbeatChannel;
    const redisOptions: RedisOptions = { ...options.redisOptions, autoResubscribe: false };
    this.#conn = typeof options.address === 'string' ? new Redis(options.address, redisOptions) : new Redis({ ...redisOptions, ...options.address });
    // The Buffer events: ioredis then makes no string of the payload (it does so only for `message` listeners).
    const event = options.sharded ? 'smessageBuffer' : 'messageBuffer';
    this.#conn.on(event, (channel: Buffer, payload: Buffer) => this.#receive(channel.toString(), payload));
    this.#conn.on('error', (error: Error) => options.onError(error));
    this.#conn.on('close', () => {
      this.#subscribed = false;
      this.#awaitingHeartbeat = false;
    });
    this.#conn.on('ready', () => {
      // The first ready is start()'s; every later one is a reconnect that lost the subscriptions.
      if (!this.#everReady) return;
      this.#resubscribeAll().then(
        () => this.#options.onResubscribed(),
        (error: unknown) => {
          this.#options.onError(error instanceof Error ? error : new Error(String(error)));
          // Try again on a fresh connection rather than stay deaf.
          if (!this.#closed) this.#conn.disconnect(true);
        },
      );
    });
  }

  async start(): Promise<void> {
    await this.#conn.connect();
    this.#everReady = true;
    await this.#resubscribeAll();
  }

  isReady(): boolean {
    return !this.#closed && this.#subscribed && this.#conn.status === 'ready';
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    await this.#command('subscribe', [channel]);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.channels.delete(channel)) return;
    if (this.#conn.status === 'ready') await this.#command('unsubscribe', [channel]);
  }

  /**
   * What the heartbeat tick should do: send a new heartbeat, report the connection deaf, or wait.
   * Deaf: the echo is more than `timeoutMs` late **and** the socket read nothing at all for
   * `timeoutMs` (as seen from one tick to the next). A subscriber that is behind (its echo queued behind a backlog that it is still
   * reading) is waited for: reconnecting it would throw away everything Redis holds for it. Redis
   * bounds that backlog itself (`client-output-buffer-limit pubsub`), closing the connection, which
   * is then reconnected like any other.
   */
  heartbeatDue(now: number, timeoutMs: number): 'send' | 'deaf' | 'wait' {
    if (!this.isReady()) return 'wait';
    const read = this.#conn.stream?.bytesRead ?? 0;
    if (read !== this.#bytesSeen) {
      this.#bytesSeen = read;
      this.#progressAt = now;
    }
    if (!this.#awaitingHeartbeat) return 'send';
    return now - this.#heartbeatSentAt > timeoutMs && now - this.#progressAt > timeoutMs ? 'deaf' : 'wait';
  }

  /** Records a heartbeat about to be published; returns its payload. */
  heartbeatSent(now: number): string {
    this.#heartbeatSeq++;
    this.#heartbeatSentAt = now;
    this.#awaitingHeartbeat = true;
    return String(this.#heartbeatSeq);
  }

  /** The heartbeat could not be published: no verdict on this connection. */
  heartbeatFailed(): void {
    this.#awaitingHeartbeat = false;
  }

  /** Drops the connection and connects again (resubscribing everything): for a connection found deaf. */
  reconnect(): void {
    this.#awaitingHeartbeat = false;
    if (!this.#closed) this.#conn.disconnect(true);
  }

  close(): void {
    this.#closed = true;
    this.#subscribed = false;
    this.#conn.disconnect();
  }

  #receive(channel: string, payload: Buffer): void {
    if (channel === this.heartbeatChannel) {
      if (payload.toString() === String(this.#heartbeatSeq)) this.#awaitingHeartbeat = false;
      return;
    }
    // A channel unsubscribed a moment ago may still deliver what was already in flight.
    if (this.channels.has(channel)) this.#options.onMessage(channel, payload);
  }

  async #resubscribeAll(): Promise<void> {
    const all = [this.heartbeatChannel, ...this.channels];
    if (this.#options.sharded) {
      // SSUBSCRIBE takes channels of one slot only: one command each, pipelined.
      await Promise.all(all.map((channel) => this.#command('subscribe', [channel])));
    } else {
      for (let i = 0; i < all.length; i += BATCH) await this.#command('subscribe', all.slice(i, i + BATCH));
    }
    this.#subscribed = true;
  }

  async #command(verb: 'subscribe' | 'unsubscribe', channels: string[]): Promise<void> {
    try {
      if (this.#options.sharded) await (verb === 'subscribe' ? this.#conn.ssubscribe(...channels) : this.#conn.sunsubscribe(...channels));
      else await (verb === 'subscribe' ? this.#conn.subscribe(...channels) : this.#conn.unsubscribe(...channels));
    } catch (error) {
      throw new BackendError('redis', `${verb} failed`, { cause: error });
    }
  }
}
