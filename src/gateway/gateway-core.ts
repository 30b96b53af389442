/**
 * The gateway's core, wired from its options and backends: the client apps, the plugins that are
 * always on (identity, topics, commands and jobs) beside the embedder's, and the hub with its
 * limits and gauges. No sockets here; gateway.ts puts the HTTP and WebSocket shell around it.
 */
import { defaultDecodeLimits } from '../protocol/frames.js';
import { ClientApps } from '../core/client-apps.js';
import { Hub } from '../core/hub.js';
import type { NodeId } from '../core/ids.js';
import type { AuthVerifier, Clock, Logger } from '../core/ports.js';
import { createIdentityPlugin, type IdentityPlugin } from '../core/identity/identity-plugin.js';
import { TopicsPlugin } from '../core/topics/topics-plugin.js';
import { createPushPlugin } from '../core/commands/push-plugin.js';
import { PushRegistry } from '../core/commands/push-registry.js';
import type { GatewayBackends, GatewayOptions } from './gateway-options.js';
import type { GatewayMetrics } from './metrics.js';
import { createSseClient } from './sse-client.js';
import { createTopicMetrics } from './topic-metrics.js';
import { timerScheduler } from './scheduler.js';
import { createUpstreamFetch } from './upstream-fetch.js';
import { encodeMessageUtf8 } from './wire/encode-message-utf8.js';

/** What the shell needs of the core. */
export interface GatewayCore {
  readonly hub: Hub;
  readonly topics: TopicsPlugin;
  readonly identity: IdentityPlugin;
}

export function createGatewayCore(
  options: GatewayOptions,
  backends: GatewayBackends,
  { nodeId, log, metrics, clock }: { readonly nodeId: NodeId; readonly log: Logger; readonly metrics: GatewayMetrics; readonly clock: Clock },
): GatewayCore {
  const identity = createIdentityPlugin({ tokenGraceMs: options.tokenGraceMs });
  const topics = new TopicsPlugin({
    maxSubscriptionsPerConnection: options.maxSubscriptions ?? 100,
    maxTopicLength: options.maxTopicLength ?? 256,
    maxPublicationBytes: options.maxPayload,
    sseLingerMs: options.sseLingerMs ?? 5_000,
    openUpstream: backends.openUpstream ?? createSseClient({ maxEventBytes: options.maxPayload }),
    metrics: createTopicMetrics(metrics.registry),
  });
  const apps = new ClientApps(options.clientApps);
  const push = new PushRegistry(apps.all(), createUpstreamFetch(), { commands: backends.commands, jobs: backends.jobs });
  // Always plugged in, also with nothing declared: a COMMAND is then UNKNOWN_COMMAND (contract §9), not an unknown type.
  const plugins = [
    identity,
    topics,
    ...(backends.plugins ?? []),
    createPushPlugin({
      registry: push,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 5_000,
      maxCommandsInFlight: options.maxCommandsInFlight ?? 16,
      jobConcurrency: options.jobConcurrency ?? 32,
    }),
  ];
  const hub = new Hub({
    nodeId,
    apps,
    bus: backends.bus,
    presence: backends.presence,
    store: backends.store,
    lease: backends.lease,
    auth: backends.auth ?? noVerifier,
    clock,
    scheduler: timerScheduler,
    encodeMessage: encodeMessageUtf8,
    ...(backends.frames === undefined ? {} : { frames: backends.frames }),
    plugins,
    logger: log,
    metrics,
    limits: {
      maxFetchCount: options.maxFetchCount,
      defaultFetchCount: Math.min(100, options.maxFetchCount),
      maxConnectionsPerUser: options.maxConnectionsPerUser,
      rateLimitPerSec: options.rateLimit,
      maxErrorsBeforeAuth: options.maxErrorsBeforeAuth,
      maxBacklogFrames: 100,
      decode: { ...defaultDecodeLimits, maxGroupSize: options.maxGroupSize },
      reliableHoldMs: options.reliableHoldMs,
      presenceTtlMs: options.presenceTtlMs,
      maxAuthConcurrency: options.maxAuthConcurrency ?? 64,
      maxAuthQueue: options.maxAuthQueue ?? 10_000,
    },
  });
  metrics.gauge('switchboard_inflight_entries', 'RELIABLE entries written and awaiting proof of receipt', () => hub.inFlightCount);
  metrics.gauge('switchboard_backend_pending_operations', 'Store and bus operations not yet settled', () => hub.backgroundCount);
  return { hub, topics, identity };
}

/** Without a verifier: apps without auth admit their users; any app that asks for auth is refused (fail closed). */
const noVerifier: AuthVerifier = {
  verify: (app) => Promise.resolve(app.authEnabled || app.auth !== undefined ? { ok: false, reason: 'no auth verifier configured' } : { ok: true }),
};
