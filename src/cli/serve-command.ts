/**
 * `switchboard serve`: the composition root. Loads the config, picks the adapters (embedded by
 * default: in-process bus and presence, SQLite store under --data-dir), starts the gateway and
 * wires SIGTERM/SIGINT to a graceful stop.
 */
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../config/load-config.js';
import { serveOptions, type ServeConfig } from '../config/options.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../core/ports.js';
import type { GatewayBackends } from '../gateway/gateway.js';
import { createGateway } from '../gateway/gateway.js';
import { createResumePlugin } from '../core/resume/resume-plugin.js';
import { announceListening, createLogger } from './logger.js';
import { exitOnSignals } from './shutdown.js';

export async function runServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig('serve', serveOptions, { argv, env });
  if (config.redis !== undefined) throw new ConfigError('--redis', config.redis, 'cluster mode (Redis bus and presence) is not available in this build yet');
  if (config.postgres !== undefined) throw new ConfigError('--postgres', config.postgres, 'the PostgreSQL store is not available in this build yet');
  // V8 reads this when it sets the next heap limit: with its own small factor a gateway whose live
  // heap is mostly connections started a full collection every half second under steady load.
  if (config.heapGrowingPercent > 0) setFlagsFromString(`--heap-growing-percent=${config.heapGrowingPercent}`);
  // Before any hot code runs: with pretenuring, per-message objects (deliveries, socket read
  // buffers) ended up made in the old generation, where, dead, they kept the young objects they
  // point to alive through every scavenge until the next full collection.
  if (!config.gcPretenuring) setFlagsFromString('--no-allocation-site-pretenuring');
  const logger = createLogger(config.logLevel);
  const backends = await createBackends(config, logger);
  const plugins = config.resumeWindowMs > 0 ? [createResumePlugin({ windowMs: config.resumeWindowMs })] : [];
  const gateway = createGateway(config, { ...backends, plugins: [...(backends.plugins ?? []), ...plugins] }, logger);

  exitOnSignals({ drain: () => gateway.stop(), deadlineMs: config.drainTimeoutMs + 1_500, failureExitCode: 1, logger });

  const { host, port } = await gateway.start();
  announceListening(host, port);
}

/** Embedded mode: everything in this process. Adapters are imported lazily (cluster drivers never load here). */
async function createBackends(config: ServeConfig, logger: Logger): Promise<GatewayBackends> {
  const { MemoryBus } = await import('../adapters/memory/memory-bus.js');
  const { MemoryPresence } = await import('../adapters/memory/memory-presence.js');
  const { MemoryLease } = await import('../adapters/memory/memory-lease.js');
  const bus = new MemoryBus();
  const presence = new MemoryPresence();
  const lease = new MemoryLease();
  if (config.store === 'memory') {
    const { MemoryMessageStore } = await import('../adapters/memory/memory-message-store.js');
    logger.warn({}, 'memory store: RELIABLE messages do not survive a restart');
    return { bus, presence, lease, store: new MemoryMessageStore() };
  }
  const { SqliteMessageStore } = await import('../adapters/sqlite/sqlite-message-store.js');
  const store = new SqliteMessageStore({ path: join(config.dataDir, 'switchboard.db'), synchronous: config.sqliteSync, commitDelayMs: config.commitDelayMs });
  return { bus, presence, lease, store };
}
