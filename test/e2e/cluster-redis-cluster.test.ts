// Contract §7 on a Redis Cluster: the protocol suite against two real `serve` nodes whose --redis is
// the seed URLs (comma-separated) of a three-shard Redis Cluster this test starts, and a PostgreSQL
// database of their own. The clients of every test alternate between the nodes, so 1:1, group,
// multi-device, master presence, confirmations and offline fetches cross nodes and shards.
import { afterAll, beforeAll, describe } from 'vitest';
import { createDatabase, startCliCluster } from '../support/cli-cluster.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { protocolRulesSuite } from '../support/protocol-rules.suite.js';
import { redisCli, redisSkipReason, startRedisCluster, type RedisCluster } from '../support/redis.js';

const shared = sharedPostgresUrl('cluster protocol suite on Redis Cluster');
const skip = shared === undefined || redisSkipReason('redis-server') !== undefined;

describe.skipIf(skip)('cluster: two serve nodes on a three-shard Redis Cluster and PostgreSQL', () => {
  let redis: RedisCluster;
  beforeAll(async () => {
    redis = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await redis.stop();
  });

  protocolRulesSuite(async (overrides) => {
    for (const s of redis.servers) redisCli(s.port, 'FLUSHALL');
    const db = await createDatabase(shared!);
    const cluster = await startCliCluster({ redis: redis.urls.join(','), postgres: db.url, overrides: overrides ?? {} });
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
