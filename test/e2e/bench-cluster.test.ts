/**
 * `switchboard bench --compare --cluster` end to end, tiny: the floor, two serve nodes on the
 * bench's own Redis and a PostgreSQL database of its own, two Socket.IO nodes on the same Redis,
 * and the relay floor's two raw nodes; every figure present, nothing lost. Needs redis-server and DATABASE_URL (skipped loudly without
 * them; a failure under CI=true).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/bench-process.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { redisSkipReason } from '../support/redis.js';
import type { ClusterTable } from '../../bench-lab/cluster-format.js';


const database = sharedPostgresUrl('bench --compare --cluster');
const noRedis = redisSkipReason('redis-server');

describe.skipIf(database === undefined || noRedis !== undefined)('switchboard bench --compare --cluster', () => {
  it('runs the floor, two serve nodes, two Socket.IO nodes and the relay floor with every message crossing nodes, and reports every figure', async () => {
    const run = await runCli(['bench', '--compare', '--cluster', '--connections', '20', '--rate', '200', '--duration', '1', '--runs', '1', '--json', '--quiet'], 90_000, { DATABASE_URL: database });
    expect(run.code, run.stderr).toBe(0);
    const table = JSON.parse(run.stdout) as ClusterTable;
    expect(table.connections).toBe(20);
    expect(table.saturationConnections).toBe(20);
    const [floor, ours, sio, reliable, relay] = table.entries;
    expect(table.entries.map((e) => e.name)).toEqual(['raw ws echo (floor, 1 node)', 'switchboard FAST, 2 nodes + Redis', 'Socket.IO 4 + Redis adapter, 2 nodes', 'switchboard RELIABLE, 2 nodes + Redis + PostgreSQL', 'raw ws relay (cluster floor, 2 nodes + Redis)']);
    for (const e of table.entries) expect(e.unavailable, e.name).toBeUndefined();
    for (const e of [floor!, ours!, sio!, reliable!, relay!]) {
      expect(e.cpuUsPerMessage, e.name).toBeGreaterThan(0);
      expect(e.p99, e.name).toBeGreaterThan(0);
      expect(e.lostAtRate, e.name).toBe(0);
    }
    for (const e of [floor!, ours!, sio!]) {
      expect(e.saturationP50, e.name).toBeGreaterThan(0);
      expect(e.saturationLost, e.name).toBe(0);
    }
    // Redis's CPU is part of each cluster's figure; the floor has none.
    expect(floor!.redisCpuUsPerMessage).toBeUndefined();
    expect(ours!.redisCpuUsPerMessage).toBeGreaterThan(0);
    expect(sio!.redisCpuUsPerMessage).toBeGreaterThan(0);
    expect(relay!.redisCpuUsPerMessage).toBeGreaterThan(0);
    expect(reliable!.offlineAcceptedPerSec).toBeGreaterThan(0);
    expect(reliable!.offlineCpuUsPerMessage).toBeGreaterThan(0);
    expect(run.stderr).not.toContain('could not drop');
  }, 120_000);

  it('says in one line that it needs PostgreSQL and exits 2 without --postgres or DATABASE_URL', async () => {
    const run = await runCli(['bench', '--compare', '--cluster', '--quiet'], 15_000, { DATABASE_URL: '' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--postgres .*DATABASE_URL/);
  });
});
