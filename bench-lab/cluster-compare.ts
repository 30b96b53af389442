/**
 * `bench --compare --cluster`: the raw `ws` echo floor on one node, two `switchboard serve` nodes
 * on a private Redis and a PostgreSQL database of the bench's own, and two Socket.IO 4 nodes with
 * `@socket.io/redis-adapter` on the same Redis. Every message of the cluster rows is addressed to a
 * user connected to the other node; server CPU is the sum over both nodes and Redis. Every child
 * (nodes, Redis) is stopped and the database dropped before this resolves or rejects.
 */
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../src/bench/bench-result.js';
import type { CompareHooks } from '../src/bench/compare-lab.js';
import { runBench, type BenchRunOptions } from '../src/bench/run-bench.js';
import { crossNodeLinks, type CreateLink } from './cluster-links.js';
import { openBenchDatabase, type BenchDatabase } from './cluster-postgres.js';
import { startPrivateRedis, type PrivateRedis } from './cluster-redis.js';
import { FLOOR, RELAY_FLOOR, type ClusterEntry, type ClusterTable } from './cluster-format.js';
import { groupCpuWindow } from './cluster-cpu.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/** The seed's workload, past saturation: this many connections (at most), one message each per interval. */
export const SATURATION_CONNECTIONS = 1_000;
export const SATURATION_INTERVAL_MS = 10;
const WARMUP_SEC = 1;

/** A server under test: its processes by label (CPU is summed over them) and its ws:// URLs, one per node. */
interface Target {
  readonly pids: ReadonlyMap<string, number>;
  readonly urls: readonly string[];
  readonly protocol: 'echo' | 'switchboard' | 'socketio';
  /** Extra processes to count beside the total (PostgreSQL backends), read when measurement starts. */
  readonly extraPids?: () => Promise<ReadonlyMap<string, number>>;
  stop(): Promise<void>;
}

/** Runs the cluster comparison sized by `base` (connections, rate, duration, payload, window). */
export async function runClusterCompare(base: BenchRunOptions, hooks: CompareHooks): Promise<ClusterTable> {
  const postgres = hooks.postgres;
  if (postgres === undefined) throw new RangeError('the cluster comparison needs a PostgreSQL URL (hooks.postgres)');
  const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
  const cli = here('../../dist/cli/main.js');
  const saturationConnections = Math.min(SATURATION_CONNECTIONS, base.connections);
  const table = (entries: ClusterEntry[]): ClusterTable => ({ connections: base.connections, ratePerSec: base.ratePerSec, durationSec: base.durationSec, payloadChars: base.payloadChars, window: base.window, saturationConnections, saturationIntervalMs: SATURATION_INTERVAL_MS, entries });
  const children = new Set<ServerProcess>();
  const start = async (name: string, script: string, args: readonly string[]): Promise<ServerProcess> => {
    const server = await startServerProcess(name, script, args);
    children.add(server);
    return server;
  };
  let redis: PrivateRedis | undefined;
  let db: BenchDatabase | undefined;
  const entries: ClusterEntry[] = [];
  try {
    redis = await startPrivateRedis();
    db = await openBenchDatabase(postgres);
    if (db.warning !== undefined) hooks.log(`compare --cluster: ${db.warning}`);
    const r = redis;
    const d = db;
    const stopAll = (servers: readonly ServerProcess[]) => async (): Promise<void> => {
      for (const s of servers) children.delete(s);
      await Promise.all(servers.map((s) => s.stop()));
    };
    /**
     * Two nodes of one server on the bench's Redis (emptied first), started one after the other
     * (the second serve node finds the first one's migrations done); both stopped if either fails.
     * `args(id, peer)`: a node's command line; `path`: its WebSocket endpoint.
     */
    const twoNodes = async (label: string, script: string, args: (id: string, peer: string) => string[], protocol: Target['protocol'], path: string, extraPids?: Target['extraPids']): Promise<Target> => {
      await r.flush();
      const nodes: ServerProcess[] = [];
      try {
        for (const [id, peer] of [['a', 'b'], ['b', 'a']] as const) nodes.push(await start(`${label} ${id}`, script, args(id, peer)));
      } catch (err) {
        await stopAll(nodes)();
        throw err;
      }
      return {
        pids: new Map([['node-a', nodes[0]!.pid], ['node-b', nodes[1]!.pid], ['redis', r.pid]]),
        urls: nodes.map((n) => `ws://${n.host}:${n.port}${path}`),
        protocol,
        ...(extraPids === undefined ? {} : { extraPids }),
        stop: stopAll(nodes),
      };
    };
    const serveNodes = (): Promise<Target> =>
      twoNodes('switchboard node', cli, (id) => ['serve', '--port', '0', '--redis', r.url, '--postgres', d.url, '--node-id', `bench-${id}`, '--rate-limit', '0', '--log-level', 'warn'], 'switchboard', '/ws', async () => new Map((await d.backendPids()).map((pid) => [`pg-${pid}`, pid])));
    const socketIoNodes = (): Promise<Target> => twoNodes('socket.io node', here('./socketio-cluster-server.js'), () => ['--port', '0', '--redis', r.url], 'socketio', '');
    const relayNodes = (): Promise<Target> => twoNodes('relay node', here('./relay-server.js'), (id, peer) => ['--port', '0', '--redis', r.url, '--name', id, '--peer', peer], 'switchboard', '/ws');
    const floor = async (): Promise<Target> => {
      const s = await start('echo', here('./echo-server.js'), ['--port', '0']);
      return { pids: new Map([['server', s.pid]]), urls: [`ws://${s.host}:${s.port}/ws`], protocol: 'echo', stop: stopAll([s]) };
    };
    const sat = { connections: saturationConnections };
    entries.push(await measure(FLOOR, floor, base, hooks, { rate: 'FAST', saturation: sat }));
    const relay = await measure(RELAY_FLOOR, relayNodes, base, hooks, { rate: 'FAST' });
    entries.push(await measure('switchboard FAST, 2 nodes + Redis', serveNodes, base, hooks, { rate: 'FAST', saturation: sat }));
    entries.push(await measure('Socket.IO 4 + Redis adapter, 2 nodes', socketIoNodes, base, hooks, { rate: 'FAST', saturation: sat }));
    entries.push(await measure('switchboard RELIABLE, 2 nodes + Redis + PostgreSQL', serveNodes, base, hooks, { rate: 'RELIABLE', offline: true }));
    entries.push(relay);
  } finally {
    await Promise.all([...children].map((c) => c.stop()));
    await db?.close().catch((err: unknown) => hooks.log(`compare --cluster: could not drop the bench database: ${err instanceof Error ? err.message : String(err)}`));
    await redis?.stop();
  }
  return table(entries);
}

interface Workloads {
  /** The fixed-rate run, with this feature. */
  readonly rate?: 'FAST' | 'RELIABLE';
  /** The seed's workload past saturation: `connections` × one message per SATURATION_INTERVAL_MS. */
  readonly saturation?: { readonly connections: number };
  /** RELIABLE to users nobody connects, open loop (accepted msgs/s). */
  readonly offline?: boolean;
}

async function measure(name: string, startTarget: () => Promise<Target>, base: BenchRunOptions, hooks: CompareHooks, work: Workloads): Promise<ClusterEntry> {
  if (hooks.signal?.aborted === true) return { name, unavailable: 'aborted', warnings: [] };
  let target: Target;
  try {
    target = await startTarget();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    hooks.log(`compare --cluster: ${name}: unavailable: ${reason}`);
    return { name, unavailable: reason, warnings: [] };
  }
  const runHooks = { ...(hooks.signal === undefined ? {} : { signal: hooks.signal }), ...(hooks.onProgress === undefined ? {} : { onProgress: hooks.onProgress }) };
  const warnings: string[] = [];
  const note = (r: BenchResult, what: string): void => {
    for (const w of r.warnings) warnings.push(`${what}: ${w}`);
  };
  const out: { -readonly [K in keyof ClusterEntry]: ClusterEntry[K] } = { name, warnings };
  // Each workload its own users, so none meets the presence or stored messages of the one before.
  let offset = base.userOffset;
  const run = async (what: string, options: BenchRunOptions, cpuPer: 'sent' | 'received') => {
    const o: BenchRunOptions = { ...options, url: target.urls[0]!, protocol: target.protocol, warmupSec: WARMUP_SEC, userOffset: offset };
    offset += 2 * options.connections + 1_000;
    const createLink: CreateLink | undefined = target.urls.length > 1 ? await crossNodeLinks(o, target.urls, target.protocol === 'socketio' ? 'socketio' : 'switchboard') : undefined;
    const cpu = groupCpuWindow(target.pids, target.extraPids);
    const r = await runBench(o, { ...runHooks, onPhase: cpu.onPhase, ...(createLink === undefined ? {} : { createLink }) });
    note(r, what);
    const used = await cpu.result();
    const count = cpuPer === 'sent' ? r.sent : r.received;
    for (const missing of used?.missing ?? []) if (!missing.startsWith('pg-')) warnings.push(`${what}: CPU of ${missing} not read`);
    const perMessage = (seconds: number | undefined): number | undefined => (seconds === undefined || count === 0 ? undefined : round1((seconds * 1e6) / count));
    return { r, total: perMessage(used?.serverSeconds), redis: perMessage(used?.redisSeconds), postgres: perMessage(used?.extraSeconds) };
  };
  try {
    if (work.rate !== undefined) {
      hooks.log(`compare --cluster: ${name}: ${base.ratePerSec} msgs/s over ${base.connections} connections for ${base.durationSec} s`);
      const m = await run('rate', { ...base, scenario: 'rate', feature: work.rate }, 'sent');
      out.p50 = m.r.latency.p50;
      out.p99 = m.r.latency.p99;
      out.lostAtRate = m.r.lost;
      if (m.total !== undefined) out.cpuUsPerMessage = m.total;
      if (target.pids.has('redis') && m.redis !== undefined) out.redisCpuUsPerMessage = m.redis;
      if (m.postgres !== undefined && m.postgres > 0) out.postgresCpuUsPerMessage = m.postgres;
    }
    if (work.saturation !== undefined) {
      const c = work.saturation.connections;
      hooks.log(`compare --cluster: ${name}: past saturation, ${c} connections × 1 message per ${SATURATION_INTERVAL_MS} ms for ${base.durationSec} s`);
      const m = await run('saturation', { ...base, scenario: 'seed', feature: 'FAST', connections: c, intervalMs: SATURATION_INTERVAL_MS }, 'received');
      out.saturationP50 = m.r.latency.p50;
      out.saturationP99 = m.r.latency.p99;
      out.saturationMsgsPerSec = Math.round(m.r.msgsPerSec);
      out.saturationLost = m.r.lost;
    }
    if (work.offline === true) {
      hooks.log(`compare --cluster: ${name}: RELIABLE to offline users, open loop, window ${base.window} per connection, ${base.durationSec} s`);
      const m = await run('offline', { ...base, scenario: 'offline', feature: 'RELIABLE' }, 'received');
      out.offlineAcceptedPerSec = Math.round(m.r.msgsPerSec);
      if (m.total !== undefined) out.offlineCpuUsPerMessage = m.total;
      if (m.postgres !== undefined && m.postgres > 0) out.offlinePostgresCpuUsPerMessage = m.postgres;
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    hooks.log(`compare --cluster: ${name}: failed: ${reason}`);
    out.unavailable = reason;
  } finally {
    await target.stop();
  }
  return out;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
