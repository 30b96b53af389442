/**
 * Real Redis for tests: the shared one from REDIS_URL, or a private `redis-server` (and a
 * three-shard Redis Cluster) started on free ports in temp dirs, with kill/pause/restart for
 * fault tests. When a binary or REDIS_URL is missing the suite is skipped loudly; under CI=true
 * that is a failure instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

/** True when the `redis-server` and `redis-cli` binaries can be run. */
export const hasRedisServer: boolean =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;

/** Why a Redis suite cannot run, or undefined when it can. Warns loudly; throws under CI. */
export function redisSkipReason(what: 'REDIS_URL' | 'redis-server'): string | undefined {
  const missing = what === 'REDIS_URL' ? process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' : !hasRedisServer;
  if (!missing) return undefined;
  const reason = what === 'REDIS_URL' ? 'REDIS_URL is not set' : 'redis-server/redis-cli not found on PATH';
  if (process.env.CI === 'true') throw new Error(`${reason}: Redis tests cannot be skipped under CI`);
  console.warn(`\n*** SKIPPING Redis tests: ${reason} ***\n`);
  return reason;
}

/** A port that is free now (and, with `clusterBus`, so is port + 10000, which a cluster node also binds). */
export async function freePort(clusterBus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = clusterBus ? 20_000 + Math.floor(Math.random() * 20_000) : 0;
    const got = await tryListen(port);
    if (got === undefined) continue;
    if (!clusterBus || (await tryListen(got + 10_000)) !== undefined) return got;
  }
  throw new Error('no free port found');
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : undefined));
    });
  });
}

/** Runs redis-cli against a port; resolves its trimmed stdout. */
export function redisCli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL (no save); `restart()` brings it back on the same port, empty. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the process freezes with its sockets open. */
  pause(): void;
  resume(): void;
  restart(): Promise<void>;
  /** Kills it and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free port in a temp dir; resolves once it answers PING. */
export async function startRedisServer(extraArgs: string[] = [], port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-redis-'));
  const args = ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs];
  let proc: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    proc = child;
    const deadline = Date.now() + 10_000;
    while (spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(chosen), 'PING'], { encoding: 'utf8' }).stdout.trim() !== 'PONG') {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server on ${chosen} did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const kill = async (): Promise<void> => {
    const child = proc;
    proc = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    kill,
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly servers: readonly RedisServer[];
  /** Seed URLs, one per shard. */
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

/** Starts three cluster-enabled redis-servers and joins them into a three-shard cluster (no replicas). */
export async function startRedisCluster(shards = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < shards; i++) {
      const port = await freePort(true);
      servers.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'], port));
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}\n${create.stderr}`);
    const deadline = Date.now() + 20_000;
    while (!servers.every((s) => redisCli(s.port, 'CLUSTER', 'INFO').includes('cluster_state:ok'))) {
      if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    servers,
    urls: servers.map((s) => s.url),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

export interface RedisProxy {
  readonly url: string;
  /** From now on, drops what Redis sends to the connections that exist now and named themselves `*-sub*` (subscriber connections): they go deaf without being closed. */
  silenceSubscribers(): number;
  close(): Promise<void>;
}

/** A TCP pass-through to a Redis that can make subscriber connections deaf (a network fault that no socket error reports). */
export async function startRedisProxy(targetPort: number): Promise<RedisProxy> {
  const { connect } = await import('node:net');
  const links = new Set<{ isSubscriber: boolean; silenced: boolean; close: () => void }>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const link = { isSubscriber: false, silenced: false, close: () => (client.destroy(), upstream.destroy()) };
    links.add(link);
    client.on('data', (data: Buffer) => {
      if (data.includes('-sub')) link.isSubscriber = true;
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      if (!link.silenced) client.write(data);
    });
    const end = (): void => {
      links.delete(link);
      link.close();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    url: `redis://127.0.0.1:${port}`,
    silenceSubscribers: () => {
      let n = 0;
      for (const link of links) {
        if (!link.isSubscriber) continue;
        link.silenced = true;
        n++;
      }
      return n;
    },
    close: async () => {
      for (const link of links) link.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Deletes every key under `prefix` on a single Redis (what a test namespace left behind). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
