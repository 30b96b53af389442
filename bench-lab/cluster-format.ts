/**
 * The table of `bench --compare --cluster`: its figures, the median over repeated runs, the text
 * printed on stdout, and the issue's targets checked against it. Pure.
 */
import { medianEntries } from './median-entries.js';

/** The single-node floor's column name, and the two-node relay floor's (relay-server.ts). */
export const FLOOR = 'raw ws echo (floor, 1 node)';
export const RELAY_FLOOR = 'raw ws relay (cluster floor, 2 nodes + Redis)';

/** One column: a server under test. Figures are absent when that workload was not run. */
export interface ClusterEntry {
  readonly name: string;
  /** Why the column has no figures (a process could not be started, or a run failed). */
  readonly unavailable?: string;
  /** CPU of every process of the server (both nodes and Redis) per message at the fixed rate, µs. */
  readonly cpuUsPerMessage?: number;
  /** Redis's share of it, µs. */
  readonly redisCpuUsPerMessage?: number;
  /** PostgreSQL server backends per message at the fixed rate (not in the total), µs. */
  readonly postgresCpuUsPerMessage?: number;
  /** Latency at the fixed rate, ms. */
  readonly p50?: number;
  readonly p99?: number;
  readonly lostAtRate?: number;
  /** The seed's workload past saturation: latency (ms), deliveries per second, lost. */
  readonly saturationP50?: number;
  readonly saturationP99?: number;
  readonly saturationMsgsPerSec?: number;
  readonly saturationLost?: number;
  /** RELIABLE to offline users, open loop: MESSAGE_ACCEPTED per second, CPU per accepted message (nodes + Redis; PostgreSQL backends apart), µs. */
  readonly offlineAcceptedPerSec?: number;
  readonly offlineCpuUsPerMessage?: number;
  readonly offlinePostgresCpuUsPerMessage?: number;
  readonly warnings: readonly string[];
}

export interface ClusterTable {
  /** How many runs each figure is the median of. */
  readonly runs?: number;
  readonly connections: number;
  readonly ratePerSec: number;
  readonly durationSec: number;
  readonly payloadChars: number;
  readonly window: number;
  readonly saturationConnections: number;
  readonly saturationIntervalMs: number;
  /** In this order: the floor, switchboard FAST, Socket.IO + Redis adapter, switchboard RELIABLE, and (when run) the relay floor. */
  readonly entries: readonly ClusterEntry[];
  /** With several runs: each run's target figures (ratios between servers measured in that run). */
  readonly perRun?: ReadonlyArray<readonly TargetCheck[]>;
  /** With several runs: each run's relay-floor ratios ({@link relayFloorRatios}). */
  readonly perRunRelay?: ReadonlyArray<ReturnType<typeof relayFloorRatios>>;
}

const FIELDS = ['cpuUsPerMessage', 'redisCpuUsPerMessage', 'postgresCpuUsPerMessage', 'p50', 'p99', 'lostAtRate', 'saturationP50', 'saturationP99', 'saturationMsgsPerSec', 'saturationLost', 'offlineAcceptedPerSec', 'offlineCpuUsPerMessage', 'offlinePostgresCpuUsPerMessage'] as const;
type Field = (typeof FIELDS)[number];

/** Each figure the median over the runs that measured it; warnings kept once each. */
export function medianClusterTable(tables: readonly ClusterTable[]): ClusterTable {
  const first = tables[0];
  if (first === undefined) throw new RangeError('medianClusterTable needs at least one table');
  const entries = medianEntries(tables, FIELDS);
  return { ...first, runs: tables.length, entries, perRun: tables.map(clusterTargets), perRunRelay: tables.map(relayFloorRatios) };
}

/** One of the issue's targets and how the table stands against it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: a figure it needs is missing. */
  readonly met: boolean | undefined;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const x = (r: number | undefined): string => (r === undefined ? 'n/a' : `${r.toFixed(2)}×`);

/** The issue's targets for the cluster: CPU, p99, loss and saturation against the floor and Socket.IO; RELIABLE offline throughput. */
export function clusterTargets(t: ClusterTable): TargetCheck[] {
  const [floor, ours, sio, reliable] = t.entries;
  const ok = (r: number | undefined, limit: number): boolean | undefined => (r === undefined ? undefined : r <= limit);
  const cpuFloor = ratio(ours?.cpuUsPerMessage, floor?.cpuUsPerMessage);
  const cpuSio = ratio(ours?.cpuUsPerMessage, sio?.cpuUsPerMessage);
  const p99 = ratio(ours?.p99, floor?.p99);
  const sat = ratio(ours?.saturationP50, floor?.saturationP50);
  const lost = ours?.lostAtRate;
  const offline = reliable?.offlineAcceptedPerSec;
  return [
    { target: 'FAST CPU per message (2 nodes + Redis) ≤ 2.0× the floor', measured: x(cpuFloor), met: ok(cpuFloor, 2) },
    { target: 'FAST CPU per message ≤ 0.5× Socket.IO + Redis adapter', measured: x(cpuSio), met: ok(cpuSio, 0.5) },
    { target: 'FAST p99 ≤ 2× the floor', measured: x(p99), met: ok(p99, 2) },
    { target: 'FAST lost 0', measured: lost === undefined ? 'n/a' : String(lost), met: lost === undefined ? undefined : lost === 0 },
    { target: 'past saturation: p50 ≤ 10× the floor', measured: x(sat), met: ok(sat, 10) },
    { target: 'RELIABLE to offline users ≥ 10,000 accepted msgs/s', measured: offline === undefined ? 'n/a' : `${offline}/s`, met: offline === undefined ? undefined : offline >= 10_000 },
  ];
}

function cell(value: number | undefined, floor: number | undefined, unit: string, digits = 1): string {
  if (value === undefined) return '—';
  const v = `${value.toFixed(digits)}${unit}`;
  return floor === undefined || floor === 0 ? v : `${v} (${(value / floor).toFixed(2)}×)`;
}

/** The comparison as a text table (one row per figure, one column per server, ratios to the floor) and the targets. */
export function formatClusterCompare(t: ClusterTable): string {
  const [floor, ...rest] = t.entries;
  if (floor === undefined) return 'no results';
  const columns = [floor, ...rest];
  const vs = (e: ClusterEntry, f: Field): number | undefined => (e === floor ? undefined : floor[f]);
  const sat = `${t.saturationConnections} conns × 1 msg/${t.saturationIntervalMs} ms`;
  const rows: Array<[string, (e: ClusterEntry) => string]> = [
    [`server CPU per message at ${t.ratePerSec} msgs/s (all nodes + Redis)`, (e) => cell(e.cpuUsPerMessage, vs(e, 'cpuUsPerMessage'), ' µs')],
    ['  of which Redis', (e) => cell(e.redisCpuUsPerMessage, undefined, ' µs')],
    ['  PostgreSQL backends (not in the total)', (e) => cell(e.postgresCpuUsPerMessage, undefined, ' µs')],
    [`p50 at ${t.ratePerSec} msgs/s`, (e) => cell(e.p50, vs(e, 'p50'), ' ms', 2)],
    [`p99 at ${t.ratePerSec} msgs/s`, (e) => cell(e.p99, vs(e, 'p99'), ' ms', 2)],
    [`lost at ${t.ratePerSec} msgs/s`, (e) => (e.lostAtRate === undefined ? '—' : String(e.lostAtRate))],
    [`p50 past saturation (${sat})`, (e) => cell(e.saturationP50, vs(e, 'saturationP50'), ' ms', 2)],
    [`p99 past saturation`, (e) => cell(e.saturationP99, vs(e, 'saturationP99'), ' ms', 2)],
    [`delivered msgs/s past saturation`, (e) => cell(e.saturationMsgsPerSec, vs(e, 'saturationMsgsPerSec'), '', 0)],
    [`lost past saturation`, (e) => (e.saturationLost === undefined ? '—' : String(e.saturationLost))],
    ['RELIABLE to offline users: accepted msgs/s', (e) => cell(e.offlineAcceptedPerSec, undefined, '', 0)],
    ['  CPU per accepted message (nodes + Redis)', (e) => cell(e.offlineCpuUsPerMessage, undefined, ' µs')],
    ['  PostgreSQL backends per accepted message', (e) => cell(e.offlinePostgresCpuUsPerMessage, undefined, ' µs')],
  ];
  const header = ['', ...columns.map((c) => c.name)];
  const body = rows.map(([label, get]) => [label, ...columns.map((c) => (c.unavailable === undefined ? get(c) : 'n/a'))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    `switchboard bench --compare --cluster: ${t.connections} connections, payload ${t.payloadChars} chars, fixed load ${t.ratePerSec} msgs/s, ${t.durationSec} s per run, every cluster message to a user on the other node${(t.runs ?? 1) > 1 ? `; each figure the median of ${t.runs} runs` : ''}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '(ratios are to the raw ws echo floor on one node; RELIABLE: fixed-load rows to online users, offline rows in an open loop with window ' + String(t.window) + ')',
    'targets (ratios of the median figures; with several runs, the ratio within each run in brackets):',
    ...clusterTargets(t).map((c, i) => `  ${c.met === undefined ? 'n/a    ' : c.met ? 'met    ' : 'NOT MET'}  ${c.target}: ${c.measured}${perRun(t, i)}`),
    ...relayLines(t),
  ];
  for (const e of columns) {
    if (e.unavailable !== undefined) out.push(`${e.name}: unavailable: ${e.unavailable}`);
    for (const w of e.warnings) out.push(`${e.name}: ${w}`);
  }
  return out.join('\n');
}

/** `(runs: 1.9×, 2.1×, 2.0×)`: target `i` as measured within each run, when there were several. */
function perRun(t: ClusterTable, i: number): string {
  if (t.perRun === undefined || t.perRun.length < 2) return '';
  return ` (runs: ${t.perRun.map((checks) => checks[i]?.measured ?? 'n/a').join(', ')})`;
}

/**
 * What the machine charges any two-node cluster: the relay floor against the single-node floor,
 * and switchboard FAST against the relay floor (no targets; read beside the first CPU target).
 */
export function relayFloorRatios(t: ClusterTable): { relayVsFloor: number | undefined; oursVsRelay: number | undefined } | undefined {
  const relay = t.entries.find((e) => e.name === RELAY_FLOOR);
  if (relay === undefined) return undefined;
  const [floor, ours] = t.entries;
  return { relayVsFloor: ratio(relay.cpuUsPerMessage, floor?.cpuUsPerMessage), oursVsRelay: ratio(ours?.cpuUsPerMessage, relay.cpuUsPerMessage) };
}

function relayLines(t: ClusterTable): string[] {
  const r = relayFloorRatios(t);
  if (r === undefined) return [];
  const runs = t.perRunRelay !== undefined && t.perRunRelay.length > 1 ? ` (runs: ${t.perRunRelay.map((p) => `${x(p?.relayVsFloor)} / ${x(p?.oursVsRelay)}`).join(', ')})` : '';
  return [`the relay floor (2 nodes + Redis, CPU per message): ${x(r.relayVsFloor)} the single-node floor; switchboard FAST ${x(r.oursVsRelay)} the relay floor${runs}`];
}
