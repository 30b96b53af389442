/**
 * What createGateway takes (its options and backends) and what it gives (the Gateway handle).
 * Types only; gateway.ts re-exports them.
 */
import type { ClientAppConfig } from '../core/client-apps.js';
import type { Hub } from '../core/hub.js';
import type { AuthVerifier, Bus, Lease, MessageStore, Presence } from '../core/ports.js';
import type { Plugin } from '../core/plugin.js';
import type { FrameModule, ParsedFrame } from '../core/frames/frame-module.js';
import type { LogoutTokenValidator } from './backchannel-logout.js';
import type { HttpRoute } from './http-routes.js';
import type { PublishResult, TopicsPlugin } from '../core/topics/topics-plugin.js';
import type { OpenUpstream } from '../core/topics/topic-ports.js';
import type { CodeCommand, CodeJob } from '../core/commands/push-types.js';
import type { GatewayMetrics } from './metrics.js';

/** The slice of `serve`'s configuration the gateway uses (ServeConfig satisfies it). */
export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly nodeId?: string | undefined;
  readonly maxPayload: number;
  readonly maxBufferedBytes: number;
  readonly authTimeoutMs: number;
  readonly authDeadlineMs: number;
  readonly maxErrorsBeforeAuth: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxFetchCount: number;
  readonly maxGroupSize: number;
  readonly maxConnections: number;
  /** Upgraded sockets not yet authenticated beyond which upgrades get 503 + Retry-After. */
  readonly maxPendingAuth: number;
  readonly maxConnectionsPerUser: number;
  readonly rateLimit: number;
  readonly reliableHoldMs: number;
  readonly presenceTtlMs: number;
  readonly tokenGraceMs: number;
  readonly allowedOrigins: readonly string[];
  readonly headersTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly clientApps: readonly ClientAppConfig[];
  /** Admin token for the console's stats off loopback (docs/console.md); absent: loopback only. */
  readonly consoleToken?: string | undefined;
  /** Global TTL of undelivered entries, ms (0 or absent: kept until fetched); apps may set `messageTtl`. */
  readonly messageTtlMs?: number;
  /** How long an upstream SSE stream stays open after its topic's last subscriber anywhere left, ms. @default 5000 */
  readonly sseLingerMs?: number;
  /** Most topics one connection may be subscribed to. @default 100 */
  readonly maxSubscriptions?: number;
  /** Longest topic name, characters. @default 256 */
  readonly maxTopicLength?: number;
  /** Deadline of command handlers, job runs and version polls, ms. @default 5000 */
  readonly upstreamTimeoutMs?: number;
  /** Commands one connection may have running at once (more: ERROR TOO_MANY_COMMANDS). @default 16 */
  readonly maxCommandsInFlight?: number;
  /** Runs of one job at once on this node, across users. @default 32 */
  readonly jobConcurrency?: number;
  /** Credential verifications (webhook calls, JWT checks) at once on this node. @default 64 */
  readonly maxAuthConcurrency?: number;
  /** Verifications waiting beyond them (more: not authenticated, "busy"). @default 10000 */
  readonly maxAuthQueue?: number;
}

export interface GatewayBackends {
  readonly bus: Bus;
  readonly presence: Presence;
  readonly store: MessageStore;
  /** Elects one holder per name cluster-wide (SSE bridges, per-user jobs, the version poll). */
  readonly lease: Lease;
  /**
   * Verifies AUTH_CLIENT and REFRESH_TOKEN credentials per app: `createAppAuth(apps).verifier`
   * (adapters/create-app-auth.ts) gives the webhook and JWT verifiers.
   * @default admits the users of apps without auth, refuses every user of an app with a webhook or JWT (fail closed)
   */
  readonly auth?: AuthVerifier;
  /** Frame types beyond contract §3, each one module (core/frames/). */
  readonly frames?: readonly FrameModule<ParsedFrame>[];
  /** Capabilities plugged into the core (core/plugin.ts): topics, commands and jobs, … (identity is always on). */
  readonly plugins?: readonly Plugin[];
  /** Validates back-channel logout tokens (apps with `auth: {type: jwt}`); without it the logout endpoint answers 400. */
  readonly logoutTokens?: LogoutTokenValidator;
  /** HTTP routes of capabilities, tried before the built-in ones. */
  readonly routes?: readonly HttpRoute[];
  /**
   * Opens the upstream SSE streams of bridged topics.
   * @default fetch streaming (gateway/sse-client.ts)
   */
  readonly openUpstream?: OpenUpstream;
  /** Commands registered in code, beside those of `clientApps` (docs/push.md): same schema, an async handler. */
  readonly commands?: readonly CodeCommand[];
  /** Per-user jobs registered in code (docs/push.md). */
  readonly jobs?: readonly CodeJob[];
}

export interface Gateway {
  /** Starts the backends, then listens. Resolves with the bound address. */
  start(): Promise<{ host: string; port: number }>;
  /** Stops accepting, closes every client with 1001, flushes and closes the backends. Idempotent. */
  stop(): Promise<void>;
  readonly metrics: GatewayMetrics;
  readonly hub: Hub;
  /** The topics plugin (subscriptions, publications, SSE bridges). */
  readonly topics: TopicsPlugin;
  /**
   * Publishes `data` (any JSON value) on `topic` of app `appId`: every connection of the app
   * subscribed to it, on every node, gets PUBLICATION. Resolves `{ok:false}` for an unknown app, a
   * bad topic or data over --max-payload; rejects when the bus refused it.
   */
  publish(appId: string, topic: string, data: unknown): Promise<PublishResult>;
}
