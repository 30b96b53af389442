import { afterAll, beforeAll, describe } from 'vitest';
import { randomUUID } from 'node:crypto';
import { describeAcceptLogContract } from '../contract/accept-log.contract.js';
import { RedisAcceptLog } from './redis-accept-log.js';
import { deleteKeys, redisSkipReason, startRedisCluster } from '../../../test/support/redis.js';
import type { RedisCluster } from '../../../test/support/redis.js';

const sharedUrl = process.env.REDIS_URL;
const noSharedRedis = redisSkipReason('REDIS_URL');
const noRedisServer = redisSkipReason('redis-server');

function namespace(urls: string | readonly string[]) {
  const prefix = `sbtest-${randomUUID()}:`;
  return {
    node: (times: { windowMs: number; pendingMs: number; waitMs: number }) => new RedisAcceptLog({ urls, prefix, ...times }),
    cleanup: () => (typeof urls === 'string' ? deleteKeys(urls, prefix) : Promise.resolve()),
  };
}

describe.skipIf(noSharedRedis !== undefined)('RedisAcceptLog on one Redis (REDIS_URL)', () => {
  describeAcceptLogContract('redis', () => namespace(sharedUrl!));
});

describe.skipIf(noRedisServer !== undefined)('RedisAcceptLog on a three-shard Redis Cluster', () => {
  let redisCluster: RedisCluster | undefined;
  beforeAll(async () => {
    redisCluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await redisCluster?.stop();
  });
  describeAcceptLogContract('redis cluster', () => namespace(redisCluster!.urls));
});
