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
  const framesIn = new Counter({ name: 'switchboard_frames_in_total', help: 'Frames received, by type', labelNames: ['type'], registers: [registry] });
  const framesOut = new Counter({ name: 'switchboard_frames_out_total', help: 'Frames sent, by type and feature', labelNames: ['type', 'feature'], registers: [registry] });
  const routed = new Counter({ name: 'switchboard_messages_routed_total', help: 'Messages accepted for routing, by type and feature', labelNames: ['type', 'feature'], registers: [registry] });
  const latency = new Histogram({
    name: 'switchboard_delivery_latency_seconds',
    help: 'Time from accept to the write to the recipient connection',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const backendErrors = new Counter({ name: 'switchboard_backend_errors_total', help: 'Store and bus errors, by backend', labelNames: ['backend'], registers: [registry] });
  const protocolErrors = new Counter({ name: 'switchboard_protocol_errors_total', help: 'ERROR frames sent, by code', labelNames: ['code'], registers: [registry] });
  const gauges = new Set<string>();
  // Labelled children are looked up once per label set and kept: `inc({type})` hashes its labels
  // on every call, which shows on the per-frame hot path.
  const inChildren = new Map<string, Counter.Internal>();
  const outChildren = new Map<string, Map<string, Counter.Internal>>();
  const routedChildren = new Map<string, Map<string, Counter.Internal>>();
  const child2 = (cache: Map<string, Map<string, Counter.Internal>>, counter: Counter<'type' | 'feature'>, type: string, feature: string): Counter.Internal => {
    let byFeature = cache.get(type);
    if (byFeature === undefined) cache.set(type, (byFeature = new Map<string, Counter.Internal>()));
    let c = byFeature.get(feature);
    if (c === undefined) byFeature.set(feature, (c = counter.labels({ type, feature })));
    return c;
  };

  return {
    registry,
    frameIn: (type) => {
      let c = inChildren.get(type);
      if (c === undefined) inChildren.set(type, (c = framesIn.labels({ type })));
      c.inc();
    },
    frameOut: (type, feature) => child2(outChildren, framesOut, type, feature).inc(),
    messageRouted: (type, feature) => child2(routedChildren, routed, type, feature).inc(),
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
