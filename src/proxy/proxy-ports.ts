/**
 * What the proxy needs from its host: a pino-shaped logger and a metrics sink with domain verbs.
 * proxy/ imports neither pino nor prom-client; the CLI passes implementations in.
 */
import type { EndReason } from './proxy-session-types.js';

/** A logger shaped like pino's API, so a pino instance satisfies it. Never given frame contents. */
export interface ProxyLogger {
  error(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
  trace(fields: object, msg: string): void;
  child(fields: object): ProxyLogger;
}

/** A logger that writes nothing (tests). */
export const silentProxyLogger: ProxyLogger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  child: () => silentProxyLogger,
};

/** Why an upstream leg was lost (a metric label). */
export type UpstreamLossReason = 'closed' | 'abnormal' | 'dial-failed' | 'pong-timeout';

/** Events the proxy reports; called synchronously on the hot path, so they must be cheap. */
export interface ProxyMetrics {
  /** A new session (connectionId) was created. */
  sessionStarted(): void;
  /** A session ended and was forgotten. */
  sessionEnded(reason: EndReason): void;
  /** An open upstream leg, or a dial, failed without the proxy asking. */
  upstreamLost(reason: UpstreamLossReason): void;
  /** A reconnect attempt was made (attempt ≥ 1). */
  retryAttempted(): void;
  /** A reconnect attempt succeeded. */
  upstreamReconnected(): void;
  /** A client returned with its connectionId within the grace (or took it over). */
  clientResumed(): void;
  /** A client leg was lost and the grace started. */
  clientDropped(reason: 'closed' | 'pong-timeout'): void;
  /** Frames that were queued when a session ended and so were never sent. */
  framesDiscarded(direction: 'toUpstream' | 'toClient', count: number): void;
}

/** A metrics sink that records nothing (tests). */
export const noopProxyMetrics: ProxyMetrics = {
  sessionStarted: () => undefined,
  sessionEnded: () => undefined,
  upstreamLost: () => undefined,
  retryAttempted: () => undefined,
  upstreamReconnected: () => undefined,
  clientResumed: () => undefined,
  clientDropped: () => undefined,
  framesDiscarded: () => undefined,
};
