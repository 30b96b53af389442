/**
 * prom-client implementation of core's Metrics port, on a registry of its own (never the global
 * default, so several gateways can live in one process, as tests do).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricObjectWithValues, MetricValueWithName } from 'prom-client';
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
  const latency = new CountingHistogram({
    name: 'switchboard_delivery_latency_seconds',
    help: 'Time from accept to the write to the recipient connection',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const backendErrors = new Counter({ name: 'switchboard_backend_errors_total', help: 'Store and bus errors, by backend', labelNames: ['backend'], registers: [registry] });
  const protocolErrors = new Counter({ name: 'switchboard_protocol_errors_total', help: 'ERROR frames sent, by code', labelNames: ['code'], registers: [registry] });
  const commands = new Counter({ name: 'switchboard_commands_total', help: 'COMMAND frames, by name and outcome', labelNames: ['name', 'outcome'], registers: [registry] });
  const commandLatency = new Histogram({
    name: 'switchboard_command_duration_seconds',
    help: 'Time a command handler took (webhook or in-code), by name',
    labelNames: ['name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const jobRuns = new Counter({ name: 'switchboard_job_runs_total', help: 'Per-user job turns on this node, by job and outcome', labelNames: ['job', 'outcome'], registers: [registry] });
  const jobsRunning = new Gauge({ name: 'switchboard_jobs_running', help: 'Per-user jobs and version polls whose lease this node holds', registers: [registry] });
  const handovers = new Counter({ name: 'switchboard_lease_handovers_total', help: 'Job or version-poll leases this node took over from another node, by kind', labelNames: ['kind'], registers: [registry] });
  // Pauses of reading (read-throttle.ts): counted into plain numbers, like the per-frame counters,
  // since a flooding connection pauses once per refill of its budget.
  const countPause = tallyCounter(registry, 'switchboard_read_pauses_total', 'Times a connection\'s socket stopped being read, by reason (rate: over --rate-limit; slow_reader: a recipient of its messages is backlogged)', ['reason']);
  let paused = 0;
  new Gauge({
    name: 'switchboard_connections_read_paused',
    help: 'Connections whose socket is not being read right now (over their rate, or behind a slow reader)',
    registers: [registry],
    collect() {
      this.set(paused);
    },
  });
  const gauges = new Set<string>();
  return {
    commandHandled: (name, outcome, ms) => {
      commands.inc({ name, outcome });
      if (ms > 0) commandLatency.observe({ name }, ms / 1000);
    },
    jobRun: (job, outcome) => jobRuns.inc({ job, outcome }),
    jobsRunning: (count) => jobsRunning.set(count),
    leaseHandover: (kind) => handovers.inc({ kind }),
    readPaused: (reason) => {
      paused++;
      countPause(reason);
    },
    readResumed: () => {
      paused--;
    },
    registry,
    frameIn: countFrameIn,
    frameOut: countFrameOut,
    messageRouted: countRouted,
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
 * A histogram without labels whose `observe` is one bucket increment. prom-client's own observe
 * builds a label object, a closure and a hash per call, which showed on the per-message path.
 * Exposition is prom-client's, from the values this class reports.
 */
class CountingHistogram extends Histogram {
  // Plain fields, not #private ones: the base constructor calls reset() before they exist.
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    super({ ...config, buckets: [...config.buckets] });
    this.metricName = config.name;
    this.metricHelp = config.help;
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.counts = new Float64Array(this.bounds.length + 1);
    // The base constructor installs its own observe on the instance; this one replaces it.
    this.observe = (value: unknown) => this.add(value);
  }

  /** Takes a value only (the histogram has no labels and no exemplars). */
  private add(value: unknown): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`not a finite number: ${String(value)}`);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  override reset(): void {
    (this.counts as Float64Array | undefined)?.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  override get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: Array<MetricValueWithName<string>> = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += this.counts[i]!;
      values.push({ labels: { le: bound }, value: cumulative, metricName: `${this.metricName}_bucket` });
    });
    values.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${this.metricName}_bucket` });
    values.push({ labels: {}, value: this.sum, metricName: `${this.metricName}_sum` });
    values.push({ labels: {}, value: this.count, metricName: `${this.metricName}_count` });
    // prom-client's declared types (a numeric MetricType, a required collect) differ from the
    // object its registry reads at run time, which is this one (the exposition test checks it).
    const metric = { name: this.metricName, help: this.metricHelp, type: 'histogram', values, aggregator: 'sum' };
    return Promise.resolve(metric as unknown as MetricObjectWithValues<MetricValueWithName<string>>);
  }

  /** The registry's text exposition reads this when present (prom-client ≥ 15). */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return this.get();
  }
}

/**
 * A counter with one or two labels whose values are plain numbers, copied into prom-client at
 * scrape time. Returns the function that counts one for a pair of label values: the slot of the
 * last pair counted is kept, so a run of the same pair (every frame of a steady load) is one
 * comparison of the constant strings the callers pass and an increment, with no lookup.
 */
function tallyCounter(registry: Registry, name: string, help: string, labelNames: readonly [string] | readonly [string, string]): (first: string, second?: string) => void {
  const tally = new Map<string, Map<string, { value: number }>>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [first, inner] of tally) {
        for (const [second, slot] of inner) {
          const labels: Record<string, string> = { [labelNames[0]]: first };
          if (labelNames[1] !== undefined) labels[labelNames[1]] = second;
          this.inc(labels, slot.value);
        }
      }
    },
  });
  let lastFirst: string | undefined;
  let lastSecond: string | undefined;
  let lastSlot = { value: 0 };
  return (first, second = '') => {
    if (first !== lastFirst || second !== lastSecond) {
      let inner = tally.get(first);
      if (inner === undefined) tally.set(first, (inner = new Map<string, { value: number }>()));
      let slot = inner.get(second);
      if (slot === undefined) inner.set(second, (slot = { value: 0 }));
      lastFirst = first;
      lastSecond = second;
      lastSlot = slot;
    }
    lastSlot.value++;
  };
}
