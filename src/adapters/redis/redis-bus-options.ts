// The options of the Redis bus (redis-bus.ts).
import type { Logger } from '../../core/ports.js';
import type { RedisConnectionOptions } from './redis-connection.js';

export interface RedisBusOptions extends RedisConnectionOptions {
  /**
   * Prefix of every Redis channel name; the bus channel follows in a hash tag (`sb:{u:alice}`).
   * @default "sb:"
   */
  readonly prefix?: string;
  /** Most publishes sent and not yet answered by Redis; past it `publish` rejects at once. @default 10000 */
  readonly maxPendingPublishes?: number;
  /**
   * Most payload bytes (UTF-16 length of a JSON text, byte length of a binary payload) of those publishes.
   * @default 16777216 (16 MiB)
   */
  readonly maxPendingBytes?: number;
  /** How often each subscriber connection is sent a heartbeat through Redis. @default 1000 */
  readonly heartbeatIntervalMs?: number;
  /**
   * A heartbeat not back after this long marks its subscriber connection deaf: it is reconnected and resubscribed.
   * @default 2000
   */
  readonly heartbeatTimeoutMs?: number;
  /** Most deliveries of one channel coalesced into one PUBLISH (within one flush, see batchDelayMs); 1: each on its own. @default 64 */
  readonly maxBatchDeliveries?: number;
  /**
   * Under load, at most one flush of the coalesced publishes per this many ms (a flush wakes Redis
   * and every receiving node, whatever it carries); after a quiet spell a publish leaves at the end
   * of its turn. 0: a flush at the end of every turn that published (PublishBatcher.add).
   * @default 2
   */
  readonly batchDelayMs?: number;
  /**
   * Publish a `message` delivery with a byte frame in the binary format (a JSON header and the raw
   * frame bytes); false publishes every delivery as JSON text, which nodes of versions before the
   * binary format also read (for a rolling upgrade). Both formats are always received.
   * @default true
   */
  readonly binaryFrames?: boolean;
  /**
   * One Redis: publish on a connection of its own told `CLIENT REPLY OFF` (redis-publish-link.ts),
   * so neither Redis nor this node spends a write and a wake-up per publish on an answer. A publish
   * is then handed once written, and `maxPendingBytes` bounds what waits unwritten behind a slow
   * Redis. false: every publish waits for its answer. A Redis Cluster always waits for answers.
   * @default true
   */
  readonly publishWithoutReplies?: boolean;
  /** @default silentLogger */
  readonly logger?: Logger;
}
