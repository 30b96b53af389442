// Contract §7 / issue 13: the master user hears each user's USER_CONNECTED / USER_DISCONNECTED in the
// order the transitions happened in the presence store, even when they overlap on two nodes. Two
// real `serve` nodes on a private Redis; every user's two devices flap between the nodes with
// overlapping transitions (one device leaves node 0 while the other arrives on node 1, and back),
// many users at once. The master's sequence per user must alternate, hold exactly as many events as
// the store counted transitions (its per-user generation), and end on the user's real state. Run on
// one Redis and on a three-shard Redis Cluster.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, startCliCluster, type CliCluster } from '../support/cli-cluster.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { redisCli, redisSkipReason, startRedisCluster, startRedisServer } from '../support/redis.js';
import { TestClient, type Frame } from '../support/test-client.js';

const shared = sharedPostgresUrl('cluster presence order test');
const skip = shared === undefined || redisSkipReason('redis-server') !== undefined;

const USERS = 12;
const ROUNDS = 40;

/** The Redis the nodes share: seed URLs, a reset, a GET that follows the key's slot, a stop. */
interface Backend {
  readonly urls: string;
  flush(): void;
  get(key: string): string;
  stop(): Promise<void>;
}

async function oneRedis(): Promise<Backend> {
  const server = await startRedisServer();
  return {
    urls: `redis://127.0.0.1:${server.port}`,
    flush: () => void redisCli(server.port, 'FLUSHALL'),
    get: (key) => redisCli(server.port, 'GET', key),
    stop: () => server.stop(),
  };
}

async function redisCluster(): Promise<Backend> {
  const cluster = await startRedisCluster(3);
  const [first] = cluster.servers;
  return {
    urls: cluster.urls.join(','),
    flush: () => cluster.servers.forEach((s) => redisCli(s.port, 'FLUSHALL')),
    get: (key) => redisCli(first!.port, '-c', 'GET', key),
    stop: () => cluster.stop(),
  };
}

describe.skipIf(skip).each([
  ['one Redis', oneRedis],
  ['a three-shard Redis Cluster', redisCluster],
])('cluster on %s: presence order under overlapping transitions on two nodes', (_name, startBackend) => {
  let redis: Backend;
  let cluster: CliCluster | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await startBackend();
  }, 60_000);
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await cluster?.stop();
    await dropDb?.();
    cluster = undefined;
  });

  async function on(node: number, userId: string): Promise<TestClient> {
    const c = await TestClient.connect(cluster!.nodes[node]!.wsUrl);
    clients.push(c);
    expect((await c.auth(userId)).data.isAuthenticated).toBe(true);
    return c;
  }

  /** The user's transition generation as the presence store keeps it (default key prefix). */
  const generation = (userId: string): number => Number(redis.get(`sb:{u:${userId}}:gen`) || 'NaN');

  it('delivers every user’s transitions to the master in store order while two devices flap between the nodes with overlaps', async () => {
    redis.flush();
    const db = await createDatabase(shared!);
    dropDb = db.drop;
    cluster = await startCliCluster({ redis: redis.urls, postgres: db.url });
    const master = await on(0, 'demo-0');
    const heard = new Map<string, string[]>();
    master.ws.on('message', (data: Buffer) => {
      const f = JSON.parse(data.toString('utf8')) as Frame;
      if (f.type !== 'USER_CONNECTED' && f.type !== 'USER_DISCONNECTED') return;
      const userId = f.data.userId as string;
      heard.set(userId, [...(heard.get(userId) ?? []), f.type]);
    });
    const users = Array.from({ length: USERS }, (_, i) => `demo-6${String(i).padStart(2, '0')}`);

    // Every user online on node 0 first; its generation then is the one of its first transition.
    const devices = await Promise.all(users.map((u) => on(0, u)));
    await until(() => users.every((u) => heard.get(u)?.length === 1), 10_000);
    const first = new Map(users.map((u) => [u, generation(u)]));

    const flap = async (u: string, i: number): Promise<boolean> => {
      let current = devices[i]!;
      for (let round = 0; round < ROUNDS; round++) {
        // The device on one node leaves while the other arrives on the other node: the user's
        // offline and online transitions (when the leave is stored first) come from two nodes
        // within milliseconds of each other.
        const [, next] = await Promise.all([current.close(), on(round % 2 === 0 ? 1 : 0, u)]);
        current = next;
      }
      // Half the users end offline, half online.
      if (i % 2 === 0) {
        await current.close();
        return false;
      }
      return true;
    };
    const online = await Promise.all(users.map(flap));

    // Settled: every user's store state and generation stop moving; the master has heard them all.
    const expected = (u: string): number => generation(u) - first.get(u)! + 1;
    await until(() => users.every((u) => heard.get(u)?.length === expected(u)), 15_000).catch(() => undefined);
    // Nothing more arrives afterwards (no late, stale event).
    const total = (): number => [...heard.values()].reduce((n, seq) => n + seq.length, 0);
    const settled = total();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(total()).toBe(settled);

    let events = 0;
    let transitions = 0;
    let notAlternating = 0;
    let wrongFinal = 0;
    users.forEach((u, i) => {
      const seq = heard.get(u) ?? [];
      events += seq.length;
      transitions += expected(u);
      for (let k = 1; k < seq.length; k++) if (seq[k] === seq[k - 1]) notAlternating++;
      if (seq.at(-1) !== (online[i] ? 'USER_CONNECTED' : 'USER_DISCONNECTED')) wrongFinal++;
    });
    console.log(`presence order (${_name}): users ${USERS}, rounds ${ROUNDS}, store transitions ${transitions}, events heard ${events}, not alternating ${notAlternating}, wrong final state ${wrongFinal}`);
    expect(notAlternating).toBe(0);
    expect(wrongFinal).toBe(0);
    for (const u of users) {
      const seq = heard.get(u) ?? [];
      expect(seq[0]).toBe('USER_CONNECTED');
      expect(seq.length).toBe(expected(u));
    }
  }, 120_000);
});

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
