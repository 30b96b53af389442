import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { describeBusContract } from '../contract/bus.contract.js';
import { RedisBus } from './redis-bus.js';
import type { RedisBusOptions } from './redis-bus.js';
import { keySlot } from './redis-key-slot.js';
import { BackendError, userChannel } from '../../core/ports.js';
import type { Delivery } from '../../core/ports.js';
import { asMessageId, asNodeId, asUserId } from '../../core/ids.js';
import { redisCli, redisSkipReason, startRedisCluster, startRedisProxy, startRedisServer } from '../../../test/support/redis.js';
import type { RedisCluster, RedisServer } from '../../../test/support/redis.js';

const sharedUrl = process.env.REDIS_URL;
const noSharedRedis = redisSkipReason('REDIS_URL');
const noRedisServer = redisSkipReason('redis-server');

/** A bus namespace of its own (a fresh prefix) on the given Redis, with short heartbeats. */
function cluster(urls: string | readonly string[], extra: Partial<RedisBusOptions> = {}) {
  const prefix = `sbtest-${randomUUID()}:`;
  return { node: (options?: { maxPendingPublishes?: number }) => new RedisBus({ urls, prefix, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 500, ...extra, ...options }) };
}

describe.skipIf(noSharedRedis !== undefined)('RedisBus on one Redis (REDIS_URL)', () => {
  describeBusContract('redis', () => cluster(sharedUrl!), { settleMs: 100, timeoutMs: 5_000 });
  describeBusContract('redis, auto-pipelined', () => cluster(sharedUrl!, { autoPipelining: true }), { settleMs: 100, timeoutMs: 5_000 });
});

describe.skipIf(noRedisServer !== undefined)('RedisBus on a three-shard Redis Cluster', () => {
  let redisCluster: RedisCluster | undefined;
  beforeAll(async () => {
    redisCluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await redisCluster?.stop();
  });

  describeBusContract('redis cluster', () => cluster(redisCluster!.urls), { settleMs: 100, timeoutMs: 5_000 });

  it('computes the slots the cluster computes', () => {
    const port = redisCluster!.servers[0]!.port;
    for (const key of ['123456789', 'sb:{u:demo-alice}', 'sb:{all}', `x{${randomUUID()}}y`, 'é😀']) {
      expect(keySlot(key)).toBe(Number(redisCli(port, 'CLUSTER', 'KEYSLOT', key)));
    }
  });

  it('resubscribes every shard after CLIENT KILL TYPE pubsub on all three', async () => {
    const prefix = `sbtest-${randomUUID()}:`;
    const a = new RedisBus({ urls: redisCluster!.urls, prefix, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 500 });
    const b = new RedisBus({ urls: redisCluster!.urls, prefix, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 500 });
    const received: string[] = [];
    let resubscribed = 0;
    b.onDelivery((d) => received.push(d.kind === 'message' ? d.to : ''));
    b.onResubscribed(() => resubscribed++);
    a.onDelivery(() => undefined);
    await Promise.all([a.start(), b.start()]);
    try {
      const users = Array.from({ length: 12 }, (_, i) => asUserId(`demo-k${i}`));
      for (const u of users) await b.subscribe(userChannel(u));
      for (const s of redisCluster!.servers) redisCli(s.port, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
      await until(() => resubscribed >= 3 && b.isReady(), 5_000, 'three shards resubscribed');
      for (const u of users) await a.publish(userChannel(u), { ...message(1), to: u });
      await until(() => received.length === users.length, 2_000, 'a delivery on every shard');
      expect(new Set(received)).toEqual(new Set(users));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('spreads user channels over every shard', async () => {
    const bus = new RedisBus({ urls: redisCluster!.urls, prefix: `sbtest-${randomUUID()}:` });
    await bus.start();
    try {
      const users = Array.from({ length: 30 }, (_, i) => asUserId(`demo-${i}`));
      for (const u of users) await bus.subscribe(userChannel(u));
      const perShard = redisCluster!.servers.map((s) => Number(redisCli(s.port, 'PUBSUB', 'SHARDCHANNELS').split('\n').filter((c) => c.includes('{u:demo-')).length));
      expect(perShard.every((n) => n > 0)).toBe(true);
      expect(perShard.reduce((a, b) => a + b, 0)).toBe(users.length);
    } finally {
      await bus.close();
    }
  });
});

/** Waits until `check` holds, polling; fails after `timeoutMs`. Resolves the time it took. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - start;
}

function message(n: number): Extract<Delivery, { kind: 'message' }> {
  return { kind: 'message', origin: asNodeId('a'), to: asUserId('demo-1'), id: asMessageId(`m${n}`), from: asUserId('demo-2'), frame: `{"n":${n}}`, reliable: false, acceptedAt: n };
}

describe.skipIf(noRedisServer !== undefined)('RedisBus faults (private redis-server)', () => {
  let server: RedisServer;
  const buses: RedisBus[] = [];
  const channel = userChannel(asUserId('demo-1'));

  const twoNodes = async (url = server.url): Promise<{ a: RedisBus; b: RedisBus; received: Delivery[]; resubscribed: { count: number } }> => {
    const ns = cluster(url);
    const a = ns.node();
    const b = ns.node();
    buses.push(a, b);
    const received: Delivery[] = [];
    const resubscribed = { count: 0 };
    b.onDelivery((d) => received.push(d));
    b.onResubscribed(() => resubscribed.count++);
    a.onDelivery(() => undefined);
    await Promise.all([a.start(), b.start()]);
    await b.subscribe(channel);
    return { a, b, received, resubscribed };
  };

  /** Publishes one message every 10 ms until `received` holds one sent after `since`; prints the counts. */
  const deliveryBack = async (a: RedisBus, received: Delivery[], label: string): Promise<number> => {
    let sent = 0;
    let accepted = 0;
    const start = Date.now();
    const first = received.length;
    const timer = setInterval(() => {
      sent++;
      a.publish(channel, message(sent)).then(
        () => accepted++,
        () => undefined,
      );
    }, 10);
    try {
      return await until(() => received.length > first, 10_000, `a delivery after ${label}`);
    } finally {
      clearInterval(timer);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const got = received.length - first;
      const ids = new Set(received.slice(first).map((d) => (d.kind === 'message' ? d.id : '')));
      console.log(`${label}: back after ${Date.now() - start} ms; sent ${sent}, accepted ${accepted}, received ${got}, lost ${accepted - got}, duplicated ${got - ids.size}`);
    }
  };

  beforeAll(async () => {
    server = await startRedisServer();
  }, 30_000);
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await server.stop();
  });

  it('coalesces the deliveries of one channel published in one turn into few PUBLISH commands, in order', async () => {
    const { a, received } = await twoNodes();
    const publishes = (): number => Number(/cmdstat_publish:calls=(\d+)/.exec(redisCli(server.port, 'INFO', 'commandstats'))?.[1] ?? 0);
    const before = publishes();
    await Promise.all(Array.from({ length: 640 }, (_, n) => a.publish(channel, message(n))));
    await until(() => received.length === 640, 5_000, '640 deliveries');
    const commands = publishes() - before;
    console.log(`640 deliveries on one channel in one turn: ${commands} PUBLISH commands (heartbeats included)`);
    expect(commands).toBeLessThanOrEqual(20);
    expect(received.map((d) => (d.kind === 'message' ? d.acceptedAt : -1))).toEqual(Array.from({ length: 640 }, (_, n) => n));
  });

  it('notices a subscription killed with CLIENT KILL TYPE pubsub, resubscribes and calls onResubscribed', async () => {
    const { a, b, received, resubscribed } = await twoNodes();
    await a.publish(channel, message(0));
    await until(() => received.length === 1, 2_000, 'the first delivery');
    redisCli(server.port, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
    const ms = await until(() => resubscribed.count >= 1, 5_000, 'onResubscribed');
    expect(ms).toBeLessThan(5_000);
    expect(await deliveryBack(a, received, 'CLIENT KILL TYPE pubsub')).toBeLessThan(5_000);
    expect(b.isReady()).toBe(true);
  });

  it('notices a subscriber connection that went deaf without being closed (heartbeat) and resubscribes', async () => {
    const proxy = await startRedisProxy(server.port);
    try {
      const { a, received, resubscribed } = await twoNodes(proxy.url);
      await a.publish(channel, message(0));
      await until(() => received.length === 1, 2_000, 'the first delivery');
      expect(proxy.silenceSubscribers()).toBe(2);
      const ms = await until(() => resubscribed.count >= 1, 5_000, 'onResubscribed after the heartbeat timeout');
      console.log(`deaf subscriber: resubscribed after ${ms} ms (heartbeat every 200 ms, timeout 500 ms)`);
      expect(await deliveryBack(a, received, 'deaf subscriber')).toBeLessThan(5_000);
    } finally {
      await proxy.close();
    }
  });

  it('does not judge a subscriber that is behind deaf: while deliveries keep arriving, a late heartbeat is waited for, and nothing is lost', async () => {
    const { a, received, resubscribed } = await twoNodes();
    // A slow consumer: every delivery costs 0.12 ms, so the heartbeat echo waits behind about a
    // second of deliveries queued in the socket and in Redis, past the 500 ms timeout, while
    // batches keep arriving and the event loop turns at least every ~250 ms (one turn reads at
    // most about 2 MB), short of what the bus takes for a stalled loop.
    const slow = received.push.bind(received);
    received.push = (...items: Delivery[]): number => {
      const until = performance.now() + 0.12;
      while (performance.now() < until);
      return slow(...items);
    };
    const sent = 9_000;
    const frame = 'x'.repeat(1_000);
    let accepted = 0;
    await Promise.all(Array.from({ length: sent }, (_, n) => a.publish(channel, { ...message(n), frame }).then(() => accepted++)));
    await until(() => received.length >= sent, 15_000, `${sent} deliveries`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ids = new Set(received.map((d) => (d.kind === 'message' ? d.id : '')));
    console.log(`slow subscriber: sent ${sent}, accepted ${accepted}, received ${received.length}, lost ${accepted - ids.size}, duplicated ${received.length - ids.size}, resubscriptions ${resubscribed.count}`);
    expect(resubscribed.count).toBe(0);
    expect(received.length).toBe(sent);
    expect(ids.size).toBe(sent);
  });

  it('is not ready while Redis is down, refuses publishes at once, and recovers with its subscriptions', async () => {
    const { a, b, received, resubscribed } = await twoNodes();
    await server.kill();
    await until(() => !a.isReady() && !b.isReady(), 2_000, 'not ready');
    const started = Date.now();
    await expect(a.publish(channel, message(1))).rejects.toBeInstanceOf(BackendError);
    expect(Date.now() - started).toBeLessThan(100);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await server.restart();
    await until(() => a.isReady() && b.isReady(), 5_000, 'ready again');
    expect(resubscribed.count).toBeGreaterThanOrEqual(1);
    expect(await deliveryBack(a, received, 'redis killed 1 s')).toBeLessThan(5_000);
  }, 20_000);

  it('publishes on a link Redis does not answer; behind a frozen Redis it refuses past maxPendingBytes, and delivers what it took once Redis is back', async () => {
    // Heartbeats slow enough that no connection is judged deaf (and dropped) while Redis is frozen.
    const ns = cluster(server.url, { maxPendingBytes: 1024 * 1024, heartbeatIntervalMs: 2_000, heartbeatTimeoutMs: 20_000 });
    const a = ns.node();
    const b = ns.node();
    buses.push(a, b);
    const received: number[] = [];
    b.onDelivery((d) => received.push(d.kind === 'message' ? d.acceptedAt : -1));
    a.onDelivery(() => undefined);
    await Promise.all([a.start(), b.start()]);
    await b.subscribe(channel);
    expect(redisCli(server.port, 'CLIENT', 'LIST')).toMatch(/name=switchboard-bus-pub /);
    const big = (n: number): Delivery => ({ ...message(n), frame: `{"n":${n},"pad":"${'x'.repeat(16 * 1024)}"}` });
    server.pause();
    let handed = 0;
    let refusedAt = -1;
    try {
      // Loopback socket buffers take several MiB before anything waits in this process.
      for (let n = 0; n < 8_000 && refusedAt < 0; n++) {
        const outcome = await a.publish(channel, big(n)).then(() => 'handed', (err: unknown) => err);
        if (outcome === 'handed') handed++;
        else {
          expect(outcome).toBeInstanceOf(BackendError);
          refusedAt = n;
        }
      }
    } finally {
      server.resume();
    }
    console.log(`frozen redis, publish link: ${handed} publishes of 16 KiB handed, then refused (bound 1 MiB waiting here)`);
    expect(refusedAt).toBeGreaterThan(0);
    await until(() => received.length === handed, 10_000, 'every handed publish delivered after the resume');
    expect(received).toEqual(Array.from({ length: handed }, (_, n) => n));
    await a.publish(channel, message(0));
  }, 30_000);

  it('bounds publishes to a frozen Redis and rejects past the bound at once', async () => {
    const ns = cluster(server.url, { maxPendingPublishes: 100, commandTimeoutMs: 1_000, publishWithoutReplies: false });
    const a = ns.node();
    buses.push(a);
    await a.start();
    server.pause();
    try {
      const results = await Promise.allSettled(Array.from({ length: 1_000 }, (_, n) => a.publish(channel, message(n))));
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected.length).toBe(1_000);
      for (const r of rejected) expect((r).reason).toBeInstanceOf(BackendError);
      console.log(`frozen redis: 1000 publishes, ${results.length - rejected.length} accepted, ${rejected.length} rejected (900 at once, 100 after the command timeout)`);
    } finally {
      server.resume();
    }
    await until(() => a.isReady(), 5_000, 'ready after resume');
    await a.publish(channel, message(0));
  }, 20_000);
});
