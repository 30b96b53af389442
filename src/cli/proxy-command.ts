/**
 * `switchboard proxy`: loads the proxy config, wires pino and a prom-client registry into a
 * ProxyServer, prints the listening line, and drains on SIGTERM/SIGINT (1001, exit 0 within 10 s).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { proxyOptions } from '../config/options.js';
import type { ProxyMetrics } from '../proxy/proxy-ports.js';
import { ProxyServer, type ProxyStats } from '../proxy/proxy-server.js';
import { announceListening, createLogger, hostPort, printBanner, switchboardVersion } from './logger.js';
import { exitOnSignals } from './shutdown.js';
import { listenFailure } from './start-failure.js';

// A drain that hangs must not keep the process past the contract's 10 s.
const EXIT_DEADLINE_MS = 9_000;

export async function runProxy(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig('proxy', proxyOptions, { argv, env });
  if (config.upstream === undefined) {
    throw new ConfigError('--upstream', undefined, 'upstream is required: a ws:// or wss:// URL');
  }
  const logger = createLogger(config.logLevel, { command: 'proxy' });
  const registry = new Registry();
  // The gauges read the server's stats at scrape time, after it exists.
  const metrics = createProxyMetrics(registry, () => server.stats());
  const server = new ProxyServer({
    upstreamUrl: config.upstream,
    host: config.host,
    port: config.port,
    retryIntervalMs: config.retryInterval,
    maxRetries: config.maxRetries,
    backoff: config.backoff,
    maxRetryIntervalMs: config.maxRetryInterval,
    connectTimeoutMs: config.connectTimeout,
    graceMs: config.grace,
    maxQueueFrames: config.maxQueue,
    maxQueueBytes: config.maxQueueBytes,
    pingIntervalMs: config.pingInterval,
    pongTimeoutMs: config.pongTimeout,
    maxPayloadBytes: config.maxPayload,
    headersTimeoutMs: config.headersTimeoutMs,
    logger,
    metrics,
    metricsText: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  });
  let address: { host: string; port: number };
  try {
    address = await server.start();
  } catch (err) {
    throw listenFailure(err, config) ?? err;
  }
  const upstream = redactUrl(config.upstream);
  const version = switchboardVersion();
  const url = `ws://${hostPort(address.host, address.port)}`;
  // Before the listening line: a SIGTERM sent as soon as it is read must drain, not kill.
  // The proxy's drain is best effort (clients get 1001 either way), so it always exits 0.
  exitOnSignals({ drain: () => server.stop(), deadlineMs: EXIT_DEADLINE_MS, failureExitCode: 0, logger });
  logger.info({ host: address.host, port: address.port, upstream }, 'proxy listening');
  announceListening(address.host, address.port, { version, ws: url, upstream });
  if (config.logLevel !== 'silent') {
    printBanner(`switchboard ${version} proxy: clients connect to ${url}/PATH?connectionId=ID, forwarded to ${upstream}/PATH · health: http://${hostPort(address.host, address.port)}/healthz`);
  }
}

/** The upstream URL without credentials, for the log. */
function redactUrl(raw: string): string {
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  return url.toString();
}

/** prom-client implementation of the proxy's metrics port, on the given registry. */
function createProxyMetrics(registry: Registry, stats: () => ProxyStats): ProxyMetrics {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'switchboard_proxy_sessions',
    help: 'Sessions (connectionIds) the proxy holds, attached or in the grace',
    registers,
    collect() {
      this.set(stats().sessions);
    },
  });
  new Gauge({
    name: 'switchboard_proxy_clients_attached',
    help: 'Sessions with a client socket attached',
    registers,
    collect() {
      this.set(stats().clientsAttached);
    },
  });
  new Gauge({
    name: 'switchboard_proxy_queued_frames',
    help: 'Frames queued in the proxy, by direction',
    labelNames: ['direction'],
    registers,
    collect() {
      const s = stats();
      this.set({ direction: 'toUpstream' }, s.queuedFrames.toUpstream);
      this.set({ direction: 'toClient' }, s.queuedFrames.toClient);
    },
  });
  new Gauge({
    name: 'switchboard_proxy_queued_bytes',
    help: 'Payload bytes queued in the proxy, by direction',
    labelNames: ['direction'],
    registers,
    collect() {
      const s = stats();
      this.set({ direction: 'toUpstream' }, s.queuedBytes.toUpstream);
      this.set({ direction: 'toClient' }, s.queuedBytes.toClient);
    },
  });
  const started = new Counter({ name: 'switchboard_proxy_sessions_started_total', help: 'Sessions created', registers });
  const ended = new Counter({ name: 'switchboard_proxy_sessions_ended_total', help: 'Sessions ended, by reason', labelNames: ['reason'], registers });
  const losses = new Counter({ name: 'switchboard_proxy_upstream_losses_total', help: 'Upstream legs lost or dials failed, by reason', labelNames: ['reason'], registers });
  const retries = new Counter({ name: 'switchboard_proxy_upstream_retries_total', help: 'Upstream reconnect attempts', registers });
  const reconnects = new Counter({ name: 'switchboard_proxy_upstream_reconnects_total', help: 'Upstream reconnects that succeeded', registers });
  const spent = new Counter({ name: 'switchboard_proxy_retries_spent_total', help: 'Clients closed with 1011 because the reconnect retries were spent', registers });
  const resumes = new Counter({ name: 'switchboard_proxy_resumes_total', help: 'Clients that came back with their connectionId (resume or takeover)', registers });
  const drops = new Counter({ name: 'switchboard_proxy_client_drops_total', help: 'Client legs lost without a normal close, by reason', labelNames: ['reason'], registers });
  const graceExpiries = new Counter({ name: 'switchboard_proxy_grace_expiries_total', help: 'Sessions ended because the client did not return within the grace', registers });
  const discarded = new Counter({ name: 'switchboard_proxy_frames_discarded_total', help: 'Queued frames never sent because their session ended (the ending close told the peer)', labelNames: ['direction'], registers });
  return {
    sessionStarted: () => started.inc(),
    sessionEnded: (reason) => {
      ended.inc({ reason });
      if (reason === 'retries-spent') spent.inc();
      if (reason === 'grace-expired') graceExpiries.inc();
    },
    upstreamLost: (reason) => losses.inc({ reason }),
    retryAttempted: () => retries.inc(),
    upstreamReconnected: () => reconnects.inc(),
    clientResumed: () => resumes.inc(),
    clientDropped: (reason) => drops.inc({ reason }),
    framesDiscarded: (direction, count) => discarded.inc({ direction }, count),
  };
}
