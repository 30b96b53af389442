/**
 * The Redis backends ("switchboard/redis"): bus, presence and lease for a cluster of gateways.
 * A subpath of its own so that embedders without Redis never load `ioredis`.
 */
export { RedisBus, createRedisBus, type RedisBusOptions } from './redis-bus.js';
export { RedisPresence, createRedisPresence, type RedisPresenceOptions } from './redis-presence.js';
export { RedisLease, createRedisLease, type RedisLeaseOptions } from './redis-lease.js';
export type { RedisConnectionOptions } from './redis-connection.js';
