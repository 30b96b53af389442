/**
 * prom-client implementation of core's Metrics port, on a registry of its own (never the global
 * default, so several gateways can live in one process, as tests do).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../core/ports.js';

export interface GatewayMetrics extends Metrics {
  readonly registry: Registry;
  /** Sets a gauge read from a callback at scrape time (queue depths). */
  gauge(name: string, help: string, read: () => number): void;
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const connections = new Gauge({ name: 'switchboard_connections', help: 'Open WebSocket connections', registers: [registry] });
  const connectionsTotal = new Counter({ name: 'switchboard_connections_opened_total', help: 'Connections opened', registers: [registry] });
  const closes = new Counter({ name: 'switchboard_connections_closed_total', help: 'Connections closed, by close code', labelNames: ['code'], registers: [registry] });
  const users = new Gauge({ name: 'switchboard_users_online', help: 'Authenticated users with a connection on this node', registers: [registry] });
  // Per-frame counters are plain numbers, read into prom-client only at scrape time: a labelled
  // `inc` hashes its labels on every call, which showed on the per-frame hot path.
  const countFrameIn = tallyCounter(registry, 'switchboard_frames_in_total', 'Frames received, by type', ['type']);
  const countFrameOut = tallyCounter(registry, 'switchboard_frames_out_total', 'Frames sent, by type and feature', ['type', 'feature']);
  const countRouted = tallyCounter(registry, 'switchboard_messages_routed_total', 'Messages accepted for routing, by type and feature', ['type', 'feature']);
  const latency = new Histogram({
    name: 'switchboard_delivery_latency_seconds',
    help: 'Time from accept to the write to the recipient connection',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const backendErrors = new Counter({ name: 'switchboard_backend_errors_total', help: 'Store and bus errors, by backend', labelNames: ['backend'], registers: [registry] });
  const protocolErrors = new Counter({ name: 'switchboard_protocol_errors_total', help: 'ERROR frames sent, by code', labelNames: ['code'], registers: [registry] });
  const gauges = new Set<string>();
  return {
    registry,
    frameIn: countFrameIn,
    frameOut: (type, feature) => countFrameOut(feature === '' ? type : `${type}\u0000${feature}`),
    messageRouted: (type, feature) => countRouted(`${type}\u0000${feature}`),
    deliveryLatency: (ms) => latency.observe(ms / 1000),
    backendError: (backend) => backendErrors.inc({ backend }),
    connectionOpened: () => {
      connections.inc();
      connectionsTotal.inc();
    },
    connectionClosed: (code) => {
      connections.dec();
      closes.inc({ code: String(code) });
    },
    usersOnline: (count) => users.set(count),
    protocolError: (code) => protocolErrors.inc({ code }),
    gauge: (name, help, read) => {
      if (gauges.has(name)) return;
      gauges.add(name);
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
  };
}

/**
 * A counter whose values are plain numbers per key (label values joined by NUL), copied into
 * prom-client at scrape time. Returns the function that counts one for a key.
 */
function tallyCounter(registry: Registry, name: string, help: string, labelNames: readonly string[]): (key: string) => void {
  const tally = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of tally) {
        const parts = key.split('\u0000');
        const labels: Record<string, string> = {};
        labelNames.forEach((label, i) => (labels[label] = parts[i] ?? ''));
        this.inc(labels, value);
      }
    },
  });
  return (key) => tally.set(key, (tally.get(key) ?? 0) + 1);
}
