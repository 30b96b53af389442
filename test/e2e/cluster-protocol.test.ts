// Contract §7: every rule of §3 cluster-wide. The protocol suite against two real `serve` nodes on
// a private Redis and a PostgreSQL database of their own; the clients of every test alternate
// between the nodes, so 1:1, group, multi-device, presence, confirmations and fetches cross nodes.
import { afterAll, beforeAll, describe } from 'vitest';
import { createDatabase, startCliCluster } from '../support/cli-cluster.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { protocolRulesSuite } from '../support/protocol-rules.suite.js';
import { redisCli, redisSkipReason, startRedisServer, type RedisServer } from '../support/redis.js';

const shared = sharedPostgresUrl('cluster protocol suite');
const skip = shared === undefined || redisSkipReason('redis-server') !== undefined;

describe.skipIf(skip)('cluster: two serve nodes on Redis and PostgreSQL', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
  });

  protocolRulesSuite(async (overrides) => {
    redisCli(redis.port, 'FLUSHALL');
    const db = await createDatabase(shared!);
    const cluster = await startCliCluster({ redis: `redis://127.0.0.1:${redis.port}`, postgres: db.url, overrides: overrides ?? {} });
    return {
      get url() {
        return cluster.url;
      },
      httpUrl: cluster.httpUrl,
      stop: async () => {
        await cluster.stop();
        await db.drop();
      },
    };
  });
});
