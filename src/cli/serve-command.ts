/**
 * `switchboard serve`: the composition root. Loads the config, picks the adapters (embedded by
 * default: in-process bus and presence, SQLite store under --data-dir), starts the gateway and
 * wires SIGTERM/SIGINT to a graceful stop.
 */
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { loadConfig, sourceOf } from '../config/load-config.js';
import { serveOptions, type ServeConfig } from '../config/options.js';
import { ConfigError } from '../config/config-error.js';
import { createAppAuth } from '../adapters/create-app-auth.js';
import { BackendError, type AcceptLog, type Logger } from '../core/ports.js';
import type { GatewayBackends } from '../gateway/gateway.js';
import { createGateway } from '../gateway/gateway.js';
import { createResumePlugin } from '../core/resume/resume-plugin.js';
import { announceListening, createLogger, hostPort, printBanner, switchboardVersion } from './logger.js';
import { exitOnSignals } from './shutdown.js';
import { listenFailure, prepareDataDir, storeFailure } from './start-failure.js';

export async function runServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig('serve', serveOptions, { argv, env });
  // Every node of a cluster must see every stored message: a node-local store would lose them for users on other nodes.
  if (config.redis !== undefined && config.postgres === undefined) throw new ConfigError(sourceOf(config, 'redis'), config.redis, 'cluster mode needs a shared store: give --postgres as well');
  // V8 reads this when it sets the next heap limit: with its own small factor a gateway whose live
  // heap is mostly connections started a full collection every half second under steady load.
  if (config.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  // Before any hot code runs: with pretenuring, per-message objects (deliveries, socket read
  // buffers) ended up made in the old generation, where, dead, they kept the young objects they
  // point to alive through every scavenge until the next full collection.
  if (!config.gcPretenuring) setFlagsFromString('--no-allocation-site-pretenuring');
  const logger = createLogger(config.logLevel);
  if (config.store === 'sqlite') prepareDataDir(config);
  const backends = await createBackends(config, logger);
  const plugins = config.resumeWindowMs > 0 ? [createResumePlugin({ windowMs: config.resumeWindowMs, acceptLog: await createAcceptLog(config) })] : [];
  const gateway = createGateway(config, { ...backends, plugins: [...(backends.plugins ?? []), ...plugins] }, logger);

  exitOnSignals({ drain: () => gateway.stop(), deadlineMs: config.drainTimeoutMs + 1_500, failureExitCode: 1, logger });

  let address: { host: string; port: number };
  try {
    address = await gateway.start();
  } catch (err) {
    // Start-up failures a user can cause end in one line and exit 2; anything else is a bug (stack).
    const failure = listenFailure(err, config) ?? (err instanceof BackendError && err.backend === backends.store.name && config.store === 'sqlite' ? storeFailure(err, config) : undefined);
    throw failure ?? err;
  }
  const { host, port } = address;
  const version = switchboardVersion();
  const wsUrl = `ws://${hostPort(host, port)}/ws`;
  const apps = config.clientApps.map((app) => app.appId);
  // --postgres takes the place of --store; its URL is shown without user or password.
  const pgAt = config.postgres === undefined ? undefined : postgresWhere(config.postgres);
  const data = pgAt === undefined && config.store === 'sqlite' ? resolve(config.dataDir, 'switchboard.db') : undefined;
  announceListening(host, port, { version, ws: wsUrl, apps, store: pgAt === undefined ? config.store : 'postgres', ...(data === undefined ? {} : { data }) });
  if (config.logLevel !== 'silent') {
    const where = pgAt !== undefined ? `postgres at ${pgAt}` : data === undefined ? 'memory (nothing survives a restart)' : `sqlite at ${data}`;
    printBanner(`switchboard ${version}: WebSocket clients connect to ${wsUrl} · apps: ${apps.join(', ')} · store: ${where} · health: http://${hostPort(host, port)}/healthz`);
  }
}

/**
 * The backends: embedded by default (in-process bus, presence and leases; SQLite under --data-dir),
 * Redis for bus, presence and leases with --redis, PostgreSQL for the store with --postgres. Adapters
 * are imported lazily, so a driver that is not used is never loaded.
 */
async function createBackends(config: ServeConfig, logger: Logger): Promise<GatewayBackends> {
  const auth = createAppAuth(config.clientApps, { logger, webhookTimeoutMs: config.authTimeoutMs });
  const identity = {
    auth: auth.verifier,
    logoutTokens: {
      validate: async (token: string) => {
        const result = await auth.logout.verify(token);
        if (!result.ok) return result;
        return { ok: true as const, appId: result.app.appId, ...(result.sub === undefined ? {} : { sub: result.sub }), ...(result.sid === undefined ? {} : { sid: result.sid }) };
      },
    },
  };
  return { ...(await createCluster(config, logger)), store: await createStore(config, logger), ...identity };
}

async function createCluster(config: ServeConfig, logger: Logger): Promise<Pick<GatewayBackends, 'bus' | 'presence' | 'lease'>> {
  if (config.redis !== undefined) {
    const urls = config.redis.split(',').map((u) => u.trim());
    const [{ RedisBus }, { RedisPresence }, { RedisLease }] = await Promise.all([
      import('../adapters/redis/redis-bus.js'),
      import('../adapters/redis/redis-presence.js'),
      import('../adapters/redis/redis-lease.js'),
    ]);
    const log = logger.child({ backend: 'redis' });
    return { bus: new RedisBus({ urls, logger: log }), presence: new RedisPresence({ urls }), lease: new RedisLease({ urls }) };
  }
  const [{ MemoryBus }, { MemoryPresence }, { MemoryLease }] = await Promise.all([
    import('../adapters/memory/memory-bus.js'),
    import('../adapters/memory/memory-presence.js'),
    import('../adapters/memory/memory-lease.js'),
  ]);
  return { bus: new MemoryBus(), presence: new MemoryPresence(), lease: new MemoryLease() };
}

/** Exactly-once accept: shared in Redis by the nodes of a cluster, in memory on a single node. */
async function createAcceptLog(config: ServeConfig): Promise<AcceptLog> {
  if (config.redis !== undefined) {
    const { RedisAcceptLog } = await import('../adapters/redis/redis-accept-log.js');
    return new RedisAcceptLog({ urls: config.redis.split(',').map((u) => u.trim()) });
  }
  const { MemoryAcceptLog } = await import('../adapters/memory/memory-accept-log.js');
  return new MemoryAcceptLog();
}

function postgresWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}

async function createStore(config: ServeConfig, logger: Logger): Promise<GatewayBackends['store']> {
  if (config.postgres !== undefined) {
    const { PostgresMessageStore } = await import('../adapters/postgres/postgres-message-store.js');
    return new PostgresMessageStore({ connectionString: config.postgres });
  }
  if (config.store === 'memory') {
    const { MemoryMessageStore } = await import('../adapters/memory/memory-message-store.js');
    logger.warn({}, 'memory store: RELIABLE messages do not survive a restart');
    return new MemoryMessageStore();
  }
  const { SqliteMessageStore } = await import('../adapters/sqlite/sqlite-message-store.js');
  return new SqliteMessageStore({ path: join(config.dataDir, 'switchboard.db'), synchronous: config.sqliteSync, commitDelayMs: config.commitDelayMs });
}
