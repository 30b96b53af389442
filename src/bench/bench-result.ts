/**
 * The outcome of one bench run and its two renderings: the contract's JSON object (§6) and the
 * human-readable text block. Pure.
 */
import type { HistogramBucket, LatencySummary, TimelinePoint } from './latency-recorder.js';

export type Scenario = 'seed' | 'rate' | 'max' | 'fanout' | 'idle' | 'offline';
export type BenchProtocol = 'switchboard' | 'echo' | 'socketio';

/** Memory a server (or, failing that, the generator) spends per idle connection. */
export interface IdleMemory {
  /** Where the figures come from: the server's /proc entry, its /metrics page, or this process. */
  readonly source: 'server-pid' | 'metrics' | 'client';
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** (after − before) / connections, bytes: RSS as found, without forcing a collection. */
  readonly bytesPerConnection: number;
  /** With --server-inspect: the same readings each taken right after a forced full garbage collection in the server. */
  readonly afterGc?: IdleMemoryAfterGc;
}

/** The idle run's memory read right after forced full collections (idle-memory.ts). */
export interface IdleMemoryAfterGc {
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** RSS growth per connection, bytes. */
  readonly bytesPerConnection: number;
  /** V8 heap in use before and after the connections, bytes. */
  readonly heapUsedBeforeBytes: number;
  readonly heapUsedAfterBytes: number;
  /** Heap growth per connection, bytes. */
  readonly heapBytesPerConnection: number;
}

/** The idle scenario spread over generator processes (spread-idle.ts). */
export interface IdleRun {
  readonly generators: number;
  /** Source addresses used, one per generator ('' where the system picked). */
  readonly sourceAddresses: readonly string[];
  /** From the first connection attempt to the last connection open (and authenticated), ms. */
  readonly connectMs: number;
  /** connected / connectMs: connections opened (and authenticated) per second. */
  readonly connectsPerSec: number;
  /**
   * Server CPU spent on the connect phase per connection opened, µs (with --server-pid): what a
   * connection costs the server to open (and authenticate), whatever else shares the machine.
   */
  readonly serverCpuUsPerConnect?: number;
  /** Server CPU over the idle period, percent of one core (with --server-pid). */
  readonly serverCpuPercent?: number;
  /** Connection attempts that failed, by first words of the reason (e.g. "Unexpected server response: 503"). */
  readonly openFailures: Readonly<Record<string, number>>;
}

/** Everything a run measured. Latencies in ms; rates per second; sizes in bytes. */
export interface BenchResult {
  readonly scenario: Scenario;
  readonly protocol: BenchProtocol;
  readonly feature: 'FAST' | 'RELIABLE';
  readonly connections: number;
  /** Connections that opened and authenticated. */
  readonly connected: number;
  readonly payloadChars: number;
  /** Measured seconds (warm-up excluded). */
  readonly durationSec: number;
  /** Deliveries expected from the measured sends (fanout: messages × group size). */
  readonly sent: number;
  /** Distinct deliveries that arrived (offline: messages accepted). */
  readonly received: number;
  /** sent − received after the drain period. */
  readonly lost: number;
  /** Deliveries that arrived more than once. */
  readonly duplicates: number;
  /** received / durationSec. */
  readonly msgsPerSec: number;
  readonly latency: LatencySummary;
  /** ERROR frames by code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Connections that closed while the run was going. */
  readonly disconnects: number;
  /** Scheduled sends not made: connection closed, send buffer full, or the generator too far behind. */
  readonly skippedSends: number;
  /** Sends made more than the late threshold after their intended time. */
  readonly lateSends: number;
  /** Largest delay between a send's intended and actual time, ms. */
  readonly maxSendLagMs: number;
  /** Event-loop utilisation of the generator over the measured period, 0..1. */
  readonly generatorElu: number;
  /** Reasons the figures may describe the generator rather than the server. */
  readonly warnings: readonly string[];
  readonly timeline: readonly TimelinePoint[];
  readonly buckets: readonly HistogramBucket[];
  readonly idleMemory?: IdleMemory;
  /** Idle scenario in generator processes: how the connections were made and what the idle server cost. */
  readonly idleRun?: IdleRun;
  /** With --references (not offline): MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION received for measured messages. */
  readonly accepted?: number;
  readonly confirmed?: number;
  /** ISO time the measurement started. */
  readonly startedAt: string;
}

/** The contract's keys first (§6), then diagnostics. */
export interface BenchJson {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly msgsPerSec: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly [extra: string]: unknown;
}

/** Shapes a result into the one JSON object `--json` prints. */
export function toBenchJson(r: BenchResult): BenchJson {
  return {
    sent: r.sent,
    received: r.received,
    lost: r.lost,
    msgsPerSec: r.msgsPerSec,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    p999: r.latency.p999,
    max: r.latency.max,
    mean: r.latency.mean,
    duplicates: r.duplicates,
    scenario: r.scenario,
    protocol: r.protocol,
    feature: r.feature,
    connections: r.connections,
    connected: r.connected,
    payload: r.payloadChars,
    durationSec: r.durationSec,
    errors: r.errors,
    disconnects: r.disconnects,
    skippedSends: r.skippedSends,
    lateSends: r.lateSends,
    maxSendLagMs: r.maxSendLagMs,
    generatorElu: r.generatorElu,
    warnings: r.warnings,
    ...(r.idleMemory === undefined ? {} : { idleMemory: r.idleMemory }),
    ...(r.idleRun === undefined ? {} : { idleRun: r.idleRun }),
    ...(r.accepted === undefined ? {} : { accepted: r.accepted, confirmed: r.confirmed }),
  };
}

const fmt = (n: number, digits = 2): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

/** The text block printed at the end of a run without `--json`. */
export function formatBenchResult(r: BenchResult): string {
  const lines = [
    `switchboard bench: ${r.scenario}, ${r.protocol}, ${r.feature}, ${r.connected}/${r.connections} connections, payload ${r.payloadChars} chars, ${r.durationSec} s`,
    `  sent        ${r.sent}`,
    `  received    ${r.received}`,
    `  lost        ${r.lost}${r.duplicates > 0 ? `   (duplicates ${r.duplicates})` : ''}`,
    `  msgs/s      ${fmt(r.msgsPerSec, 1)}`,
    `  latency ms  p50 ${fmt(r.latency.p50)}  p90 ${fmt(r.latency.p90)}  p99 ${fmt(r.latency.p99)}  p99.9 ${fmt(r.latency.p999)}  max ${fmt(r.latency.max)}`,
    `  generator   event loop ${Math.round(r.generatorElu * 100)}% busy, late sends ${r.lateSends}, skipped sends ${r.skippedSends}, max send lag ${fmt(r.maxSendLagMs, 1)} ms`,
  ];
  const errorCodes = Object.entries(r.errors);
  if (errorCodes.length > 0) lines.push(`  errors      ${errorCodes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  if (r.disconnects > 0) lines.push(`  disconnects ${r.disconnects}`);
  if (r.accepted !== undefined) lines.push(`  answers     MESSAGE_ACCEPTED ${r.accepted}, MESSAGE_CONFIRMATION ${r.confirmed ?? 0}`);
  if (r.idleMemory !== undefined) {
    const m = r.idleMemory;
    lines.push(`  memory      ${fmt(m.bytesPerConnection / 1024, 1)} KiB per connection (${m.source}: ${fmt(m.rssBeforeBytes / 1048576, 1)} → ${fmt(m.rssAfterBytes / 1048576, 1)} MiB)${m.afterGc === undefined ? '' : ' without forced GC'}`);
    const g = m.afterGc;
    if (g !== undefined) lines.push(`  after GC    ${fmt(g.bytesPerConnection / 1024, 1)} KiB RSS per connection (${fmt(g.rssBeforeBytes / 1048576, 1)} → ${fmt(g.rssAfterBytes / 1048576, 1)} MiB), heap ${fmt(g.heapBytesPerConnection / 1024, 2)} KiB per connection`);
  }
  if (r.idleRun !== undefined) {
    const x = r.idleRun;
    const cpu = `${x.serverCpuUsPerConnect === undefined ? '' : `; server CPU ${x.serverCpuUsPerConnect} µs per connect`}${x.serverCpuPercent === undefined ? '' : `; server CPU idle ${fmt(x.serverCpuPercent, 2)} % of a core`}`;
    lines.push(`  connecting  ${r.connected} in ${fmt(x.connectMs / 1000, 1)} s = ${fmt(x.connectsPerSec, 0)}/s over ${x.generators} generator processes${cpu}`);
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

/** Warnings that say the generator, not the server, may be the limit. */
export function generatorWarnings(input: { elu: number; scheduled: number; late: number; skipped: number; connected: number; connections: number }): string[] {
  const out: string[] = [];
  if (input.elu > 0.9) out.push(`the generator's event loop was ${Math.round(input.elu * 100)}% busy: the generator may be the limit, not the server`);
  if (input.scheduled > 0 && input.late / input.scheduled > 0.01) out.push(`${input.late} of ${input.scheduled} sends left late: the generator could not keep its schedule (latencies still count from the intended time)`);
  if (input.skipped > 0) out.push(`${input.skipped} sends skipped (connection closed, send buffer full, or the generator ran out of time)`);
  if (input.connected < input.connections) out.push(`only ${input.connected} of ${input.connections} connections opened`);
  return out;
}
