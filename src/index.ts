/**
 * Public server API ("switchboard"): embed the gateway in your own process with the backends of
 * your choice. The CLI (`switchboard serve`) is built from the same pieces.
 *
 * @example
 * import { createGateway, MemoryBus, MemoryPresence, SqliteMessageStore } from 'switchboard';
 * const gateway = createGateway(options, { bus: new MemoryBus(), presence: new MemoryPresence(), store: new SqliteMessageStore({ path: './data/switchboard.db' }) }, logger);
 * const { port } = await gateway.start();
 *
 * The PostgreSQL store is a subpath of its own, so that embedders without PostgreSQL never load
 * `pg`: `import { PostgresMessageStore } from 'switchboard/postgres'` (and `'switchboard/sqlite'`).
 */
export { createGateway, type Gateway, type GatewayBackends, type GatewayOptions } from './gateway/gateway.js';
export { MemoryBus, MemoryBusNetwork } from './adapters/memory/memory-bus.js';
export { MemoryPresence } from './adapters/memory/memory-presence.js';
export { MemoryMessageStore } from './adapters/memory/memory-message-store.js';
export { SqliteMessageStore, type SqliteMessageStoreOptions } from './adapters/sqlite/sqlite-message-store.js';
export { serveOptions, proxyOptions, benchOptions, type ServeConfig, type ProxyConfig, type BenchConfig } from './config/options.js';
export { loadConfig } from './config/load-config.js';
export { ConfigError } from './config/config-error.js';
export { BackendError, silentLogger, noopMetrics } from './core/ports.js';
export type { Backend, Bus, Presence, MessageStore, Delivery, StoredEntry, EntryStatus, PendingPage, Logger, Metrics, AuthVerifier, Clock } from './core/ports.js';
export type { StoredMessage, StoredConfirmation, StoredPresence, PositionedEntry, PendingOptions, StoreStats } from './core/ports.js';
export { CloseCode, Disconnect } from './protocol/close-codes.js';
export { ErrorCode } from './protocol/error-codes.js';
export type { ClientFrame, ServerFrame, Feature } from './protocol/frames.js';
