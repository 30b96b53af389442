import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { describePresenceContract } from '../contract/presence.contract.js';
import { RedisPresence } from './redis-presence.js';
import { addScript, admitScript, claimScript } from './redis-presence-scripts.js';
import { asConnectionId, asNodeId, asUserId } from '../../core/ids.js';
import { redisSkipReason, startRedisCluster } from '../../../test/support/redis.js';
import type { RedisCluster } from '../../../test/support/redis.js';

const sharedUrl = process.env.REDIS_URL;
const noSharedRedis = redisSkipReason('REDIS_URL');
const noRedisServer = redisSkipReason('redis-server');

/** A presence namespace of its own (fresh key prefix); every node() is another client on it. */
function namespace(urls: string | readonly string[]) {
  const prefix = `sbtest-${randomUUID()}:`;
  return { node: () => new RedisPresence({ urls, prefix }) };
}

describe.skipIf(noSharedRedis !== undefined)('RedisPresence on one Redis (REDIS_URL)', () => {
  describePresenceContract('redis', () => namespace(sharedUrl!));

  describe('races the scripts close (driven step by step)', () => {
    let raw: Redis;
    let prefix: string;
    let now: number;
    let a: RedisPresence;
    let b: RedisPresence;
    const node = asNodeId('node-x');
    const user = asUserId('demo-1');
    const nodeKeys = (): string[] => ['live', 'expiry', 'jobs'].map((k) => `${prefix}{nodes}:${k}`);
    beforeEach(async () => {
      raw = new Redis(sharedUrl!);
      prefix = `sbtest-${randomUUID()}:`;
      now = Date.now();
      a = new RedisPresence({ urls: sharedUrl!, prefix, claimTtlMs: 1_000, clock: () => now });
      b = new RedisPresence({ urls: sharedUrl!, prefix, claimTtlMs: 1_000, clock: () => now });
      await Promise.all([a.start(), b.start()]);
    });
    afterEach(async () => {
      await Promise.all([a.close(), b.close(), raw.quit()]);
    });

    it('hands a dead epoch to another reaper when its claimer died before finishing', async () => {
      const epoch = await a.registerNode(node, 100);
      await a.addConnection(user, asConnectionId('c1'), node, epoch);
      now += 200;
      // The first claimer takes the job (the first step of expireNodes) and then dies: it never reaps.
      expect(await claimScript.run(raw, nodeKeys(), [now, now + 1_000])).toEqual([`${epoch}|node-x`]);
      expect(await b.expireNodes(now)).toEqual([]);
      expect(await b.expireNodes(now + 1_001)).toEqual([{ nodeId: node, offline: [user] }]);
      expect(await b.connectionCount(user)).toBe(0);
    });

    it('refuses an add admitted just before its epoch was reaped (the fence)', async () => {
      const epoch = await a.registerNode(node, 100);
      // Step one of addConnection (admit) runs while the node is alive...
      const users = `${prefix}{nodes}:users:node-x:${epoch}`;
      expect(await admitScript.run(raw, [nodeKeys()[0]!, nodeKeys()[1]!, users], [node, epoch, now, user])).toBe(1);
      now += 200;
      // ...then the node is reaped before step two (the write) arrives.
      expect(await b.expireNodes(now)).toEqual([{ nodeId: node, offline: [] }]);
      const userKeys = [`${prefix}{u:${user}}:conns`, `${prefix}{u:${user}}:fence`];
      expect(await addScript.run(raw, userKeys, ['c1', epoch, node])).toBe(-1);
      expect(await b.connectionCount(user)).toBe(0);
    });
  });
});

describe.skipIf(noRedisServer !== undefined)('RedisPresence on a three-shard Redis Cluster', () => {
  let redisCluster: RedisCluster | undefined;
  beforeAll(async () => {
    redisCluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await redisCluster?.stop();
  });

  describePresenceContract('redis cluster', () => namespace(redisCluster!.urls));
});
