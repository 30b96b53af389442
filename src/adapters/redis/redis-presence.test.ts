import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { describePresenceContract } from '../contract/presence.contract.js';
import { RedisPresence } from './redis-presence.js';
import { addScript, admitScript, claimScript } from './redis-presence-scripts.js';
import { asConnectionId, asNodeId, asUserId } from '../../core/ids.js';
import { deleteKeys, redisSkipReason, startRedisCluster, startRedisServer } from '../../../test/support/redis.js';
import { RedisLease } from './redis-lease.js';
import { BackendError, StaleEpochError } from '../../core/ports.js';
import type { RedisCluster } from '../../../test/support/redis.js';

const sharedUrl = process.env.REDIS_URL;
const noSharedRedis = redisSkipReason('REDIS_URL');
const noRedisServer = redisSkipReason('redis-server');

/** A presence namespace of its own (fresh key prefix); every node() is another client on it. */
function namespace(urls: string | readonly string[]) {
  const prefix = `sbtest-${randomUUID()}:`;
  return {
    node: () => new RedisPresence({ urls, prefix }),
    // The shared Redis keeps nothing of the test; a private cluster is stopped whole.
    cleanup: () => (typeof urls === 'string' ? deleteKeys(urls, prefix) : Promise.resolve()),
  };
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
      await deleteKeys(sharedUrl!, prefix);
    });

    it('hands a dead epoch to another reaper when its claimer died before finishing', async () => {
      const epoch = await a.registerNode(node, 100);
      await a.addConnection(user, asConnectionId('c1'), node, epoch);
      now += 200;
      // The first claimer takes the job (the first step of expireNodes) and then dies: it never reaps.
      expect(await claimScript.run(raw, nodeKeys(), [now, now + 1_000])).toEqual([`${epoch}|node-x`]);
      expect(await b.expireNodes(now)).toEqual([]);
      expect(await b.expireNodes(now + 1_001)).toEqual([{ nodeId: node, offline: [{ userId: user, generation: expect.any(Number) }] }]);
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
      const userKeys = [`${prefix}{u:${user}}:conns`, `${prefix}{u:${user}}:fence`, `${prefix}{u:${user}}:gen`];
      expect(await addScript.run(raw, userKeys, ['c1', epoch, node])).toEqual([-1, 0]);
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

describe.skipIf(noRedisServer !== undefined)('RedisPresence and RedisLease when Redis goes away (private redis-server)', () => {
  it('are not ready while Redis is down, fail fast with a BackendError, and after a restart that lost the data refuse the old epoch', async () => {
    const server = await startRedisServer();
    const presence = new RedisPresence({ urls: server.url, commandTimeoutMs: 500 });
    const lease = new RedisLease({ urls: server.url, commandTimeoutMs: 500 });
    try {
      await Promise.all([presence.start(), lease.start()]);
      const node = asNodeId('node-a');
      const epoch = await presence.registerNode(node, 60_000);
      await presence.addConnection(asUserId('demo-1'), asConnectionId('c1'), node, epoch);
      expect(await lease.acquire('job', 'node-a', 60_000)).toBe(1);
      await server.kill();
      await until(() => !presence.isReady() && !lease.isReady(), 2_000);
      const started = Date.now();
      await expect(presence.refreshNode(node, epoch, 60_000)).rejects.toBeInstanceOf(BackendError);
      await expect(lease.renew('job', 'node-a', 1, 60_000)).rejects.toBeInstanceOf(BackendError);
      expect(Date.now() - started).toBeLessThan(1_000);
      await server.restart();
      await until(() => presence.isReady() && lease.isReady(), 5_000);
      // The restarted Redis kept nothing: the old epoch is refused, so the node knows to register again and re-add its connections.
      await expect(presence.refreshNode(node, epoch, 60_000)).rejects.toBeInstanceOf(StaleEpochError);
      const again = await presence.registerNode(node, 60_000);
      expect(again).toBeGreaterThan(epoch);
      expect(await presence.addConnection(asUserId('demo-1'), asConnectionId('c1'), node, again)).toMatchObject({ firstForUser: true });
      expect(await lease.renew('job', 'node-a', 1, 60_000)).toBe(false);
    } finally {
      await Promise.all([presence.close(), lease.close()]);
      await server.stop();
    }
  }, 20_000);
});

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
