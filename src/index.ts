/**
 * Public server API ("switchboard"): embed the gateway in your own process with the backends of
 * your choice. The CLI (`switchboard serve`) is built from the same pieces.
 *
 * @example
 * import { createGateway, MemoryBus, MemoryLease, MemoryPresence } from 'switchboard';
 * import { SqliteMessageStore } from 'switchboard/sqlite';
 * const gateway = createGateway(options, { bus: new MemoryBus(), presence: new MemoryPresence(), lease: new MemoryLease(), store: new SqliteMessageStore({ path: './data/switchboard.db' }) }, logger);
 * const { port } = await gateway.start();
 *
 * Each backend with a driver is a subpath of its own, so that an embedder loads only the drivers it
 * uses: `'switchboard/sqlite'` (better-sqlite3), `'switchboard/postgres'` (pg) and
 * `'switchboard/redis'` (ioredis). This entry point loads none of them.
 */
export { createGateway, type Gateway, type GatewayBackends, type GatewayOptions } from './gateway/gateway.js';
export { MemoryBus, MemoryBusNetwork } from './adapters/memory/memory-bus.js';
export { MemoryPresence } from './adapters/memory/memory-presence.js';
export { MemoryLease } from './adapters/memory/memory-lease.js';
export { MemoryMessageStore } from './adapters/memory/memory-message-store.js';
export type { SqliteMessageStoreOptions } from './adapters/sqlite/sqlite-message-store.js';
export { serveOptions, proxyOptions, benchOptions, type ServeConfig, type ProxyConfig, type BenchConfig } from './config/options.js';
export { loadConfig } from './config/load-config.js';
export { ConfigError } from './config/config-error.js';
export { BackendError, StaleEpochError, silentLogger, noopMetrics, userChannel, nodeChannel, topicChannel, allChannel } from './core/ports.js';
export type { Backend, Bus, Channel, Presence, Lease, MessageStore, Delivery, StoredEntry, EntryStatus, PendingPage, Logger, Metrics, AuthVerifier, AuthResult, Credentials, Clock, Scheduler } from './core/ports.js';
export type { Plugin } from './core/plugin.js';
export type { FrameModule, FrameContext, ParsedFrame } from './core/frames/frame-module.js';
export type { Services } from './core/services.js';
export type { StoredMessage, StoredConfirmation, StoredPresence, PositionedEntry, PendingOptions, StoreStats } from './core/ports.js';
export { CloseCode, Disconnect } from './protocol/close-codes.js';
export { ErrorCode } from './protocol/error-codes.js';
export type { ClientFrame, ServerFrame, Feature } from './protocol/frames.js';
export type { PublishResult, TopicsPlugin } from './core/topics/topics-plugin.js';
export type { TopicConfig } from './core/topics/topic-pattern.js';
export type { OpenUpstream, UpstreamEvent, UpstreamHandlers, UpstreamStream } from './core/topics/topic-ports.js';
export type { CodeCommand, CodeJob, CommandCall, CommandHandler, CommandSpec, JobCall, JobHandler, JobSpec, ParamSpec, ParamType, VersionSpec } from './core/commands/push-types.js';
