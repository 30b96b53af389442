import { afterAll, beforeAll, describe } from 'vitest';
import { randomUUID } from 'node:crypto';
import { describeLeaseContract } from '../contract/lease.contract.js';
import { RedisLease } from './redis-lease.js';
import { deleteKeys, redisSkipReason, startRedisCluster } from '../../../test/support/redis.js';
import type { RedisCluster } from '../../../test/support/redis.js';

const sharedUrl = process.env.REDIS_URL;
const noSharedRedis = redisSkipReason('REDIS_URL');
const noRedisServer = redisSkipReason('redis-server');

function namespace(urls: string | readonly string[]) {
  const prefix = `sbtest-${randomUUID()}:`;
  return {
    node: () => new RedisLease({ urls, prefix }),
    // The shared Redis keeps nothing of the test; a private cluster is stopped whole.
    cleanup: () => (typeof urls === 'string' ? deleteKeys(urls, prefix) : Promise.resolve()),
  };
}

describe.skipIf(noSharedRedis !== undefined)('RedisLease on one Redis (REDIS_URL)', () => {
  describeLeaseContract('redis', () => namespace(sharedUrl!));
});

describe.skipIf(noRedisServer !== undefined)('RedisLease on a three-shard Redis Cluster', () => {
  let redisCluster: RedisCluster | undefined;
  beforeAll(async () => {
    redisCluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await redisCluster?.stop();
  });

  describeLeaseContract('redis cluster', () => namespace(redisCluster!.urls));
});
