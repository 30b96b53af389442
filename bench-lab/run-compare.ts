/**
 * `bench --compare`: runs the same workloads against the raw `ws` echo floor, `switchboard serve`
 * (FAST; RELIABLE to online users; RELIABLE to offline users on SQLite) and a Socket.IO 4 server,
 * each a child process, and tabulates server cost and latency as ratios to the floor.
 * Every child is stopped before this resolves or rejects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../src/bench/bench-result.js';
import type { CompareHooks } from '../src/bench/compare-lab.js';
import { sampleProcess, type ProcessSample } from '../src/bench/process-stats.js';
import { runBench, type BenchRunOptions } from '../src/bench/run-bench.js';
import { medianEntries } from './median-entries.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/** One column of the comparison. Figures are absent when that workload was not run. */
export interface CompareEntry {
  readonly name: string;
  /** Why the target has no figures (it could not be started or run). */
  readonly unavailable?: string;
  /** Server CPU time per delivered message at the fixed offered load, µs. */
  readonly cpuUsPerMessage?: number;
  /** Server CPU time per delivered (offline: accepted) message in the open-loop run, µs. */
  readonly cpuUsPerMessageOpenLoop?: number;
  /** Latency at the fixed offered load, ms. */
  readonly p50?: number;
  readonly p99?: number;
  /** Messages lost at the fixed offered load. */
  readonly lostAtRate?: number;
  /** Deliveries (offline: acceptances) per second, open loop. */
  readonly maxMsgsPerSec?: number;
  /** Server resident memory per idle authenticated connection, bytes. */
  readonly idleBytesPerConnection?: number;
  readonly warnings: readonly string[];
}

export interface CompareTable {
  /** How many runs each figure is the median of. */
  readonly runs?: number;
  readonly connections: number;
  readonly ratePerSec: number;
  readonly durationSec: number;
  readonly payloadChars: number;
  readonly window: number;
  readonly entries: readonly CompareEntry[];
}

export type { CompareHooks };

const IDLE_SEC = 3;
/** Idle memory needs enough connections to rise above the noise of a fresh process's heap. */
const MIN_IDLE_CONNECTIONS = 1_000;
/** Each measured run starts with this warm-up (JIT of generator and server, socket buffers). */
const WARMUP_SEC = 1;

/** Runs the comparison suite sized by `base` (connections, rate, duration, payload, window). */
export async function runCompare(base: BenchRunOptions, hooks: CompareHooks): Promise<CompareTable> {
  const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
  // Built, this file is dist-lab/bench-lab/run-compare.js; the CLI under test is the package's own build.
  const cli = here('../../dist/cli/main.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-compare-'));
  const children = new Set<ServerProcess>();
  const start = async (name: string, script: string, args: readonly string[]): Promise<ServerProcess> => {
    const server = await startServerProcess(name, script, args);
    children.add(server);
    return server;
  };
  const stop = async (server: ServerProcess): Promise<void> => {
    children.delete(server);
    await server.stop();
  };
  const entries: CompareEntry[] = [];
  try {
    entries.push(await measure('raw ws echo (floor)', () => start('echo', here('./echo-server.js'), ['--port', '0']), 'echo', base, hooks, stop, { idle: true, rate: true, max: true }));
    entries.push(await measure('switchboard FAST', () => start('switchboard', cli, ['serve', '--port', '0', '--store', 'memory', '--rate-limit', '0', '--log-level', 'warn']), 'switchboard', { ...base, feature: 'FAST' }, hooks, stop, { idle: true, rate: true, max: true }));
    const sqliteArgs = ['serve', '--port', '0', '--store', 'sqlite', '--data-dir', dataDir, '--rate-limit', '0', '--log-level', 'warn'];
    entries.push(await measure('switchboard RELIABLE online (sqlite)', () => start('switchboard', cli, sqliteArgs), 'switchboard', { ...base, feature: 'RELIABLE' }, hooks, stop, { idle: false, rate: true, max: true }));
    entries.push(await measure('switchboard RELIABLE offline (sqlite)', () => start('switchboard', cli, sqliteArgs), 'switchboard', { ...base, feature: 'RELIABLE' }, hooks, stop, { idle: false, rate: false, max: true, offline: true }));
    entries.push(await measure('Socket.IO 4', () => start('socket.io', here('./socketio-server.js'), ['--port', '0']), 'socketio', base, hooks, stop, { idle: true, rate: true, max: true }));
  } finally {
    await Promise.all([...children].map((c) => c.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
  return { connections: base.connections, ratePerSec: base.ratePerSec, durationSec: base.durationSec, payloadChars: base.payloadChars, window: base.window, entries };
}

interface Workloads {
  readonly idle: boolean;
  readonly rate: boolean;
  readonly max: boolean;
  readonly offline?: boolean;
}

async function measure(
  name: string,
  startServer: () => Promise<ServerProcess>,
  protocol: BenchRunOptions['protocol'],
  base: BenchRunOptions,
  hooks: CompareHooks,
  stop: (s: ServerProcess) => Promise<void>,
  work: Workloads,
): Promise<CompareEntry> {
  if (hooks.signal?.aborted === true) return { name, unavailable: 'aborted', warnings: [] };
  let server: ServerProcess;
  try {
    server = await startServer();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    hooks.log(`compare: ${name}: unavailable: ${reason}`);
    return { name, unavailable: reason, warnings: [] };
  }
  const url = protocol === 'socketio' ? `ws://${server.host}:${server.port}` : `ws://${server.host}:${server.port}/ws`;
  const runHooks = { ...(hooks.signal === undefined ? {} : { signal: hooks.signal }), ...(hooks.onProgress === undefined ? {} : { onProgress: hooks.onProgress }) };
  const options = { ...base, url, protocol, warmupSec: WARMUP_SEC };
  const idleConnections = Math.max(base.connections, MIN_IDLE_CONNECTIONS);
  const warnings: string[] = [];
  const note = (r: BenchResult, what: string): void => {
    for (const w of r.warnings) warnings.push(`${what}: ${w}`);
  };
  const out: { -readonly [K in keyof CompareEntry]: CompareEntry[K] } = { name, warnings };
  try {
    if (work.idle) {
      hooks.log(`compare: ${name}: ${idleConnections} idle connections for ${IDLE_SEC} s`);
      const r = await runBench({ ...options, scenario: 'idle', connections: idleConnections, userOffset: base.userOffset + 500_000, durationSec: IDLE_SEC, serverPid: server.pid }, runHooks);
      if (r.idleMemory !== undefined) out.idleBytesPerConnection = r.idleMemory.bytesPerConnection;
    }
    if (work.rate) {
      hooks.log(`compare: ${name}: ${base.ratePerSec} msgs/s over ${base.connections} connections for ${base.durationSec} s`);
      const cpu = cpuWindow(server.pid);
      const r = await runBench({ ...options, scenario: 'rate' }, { ...runHooks, onPhase: cpu.onPhase });
      note(r, 'rate');
      out.p50 = r.latency.p50;
      out.p99 = r.latency.p99;
      out.lostAtRate = r.lost;
      // Server CPU while the measured messages were sent (warm-up and drain excluded).
      const cpuSeconds = await cpu.seconds();
      if (cpuSeconds !== undefined && r.sent > 0) out.cpuUsPerMessage = round1((cpuSeconds * 1e6) / r.sent);
    }
    if (work.max || work.offline === true) {
      const scenario = work.offline === true ? 'offline' : 'max';
      hooks.log(`compare: ${name}: open loop (${scenario}), window ${base.window} per connection, ${base.durationSec} s`);
      const cpu = cpuWindow(server.pid);
      const r = await runBench({ ...options, scenario }, { ...runHooks, onPhase: cpu.onPhase });
      note(r, scenario);
      out.maxMsgsPerSec = r.msgsPerSec;
      const cpuSeconds = await cpu.seconds();
      if (cpuSeconds !== undefined && r.received > 0) out.cpuUsPerMessageOpenLoop = round1((cpuSeconds * 1e6) / r.received);
      if (work.offline === true) {
        out.p50 = r.latency.p50;
        out.p99 = r.latency.p99;
      }
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    hooks.log(`compare: ${name}: failed: ${reason}`);
    out.unavailable = reason;
  } finally {
    await stop(server);
  }
  return out;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Samples a server's CPU time when measurement starts ('running') and when sending stops ('draining'). */
function cpuWindow(pid: number): { onPhase: (phase: string) => void; seconds: () => Promise<number | undefined> } {
  let start: Promise<ProcessSample> | undefined;
  let end: Promise<ProcessSample> | undefined;
  return {
    onPhase: (phase) => {
      // The samples are awaited later; a failed read just leaves the figure out.
      if (phase === 'running') start = sampleProcess(pid);
      else if (phase === 'draining') end = sampleProcess(pid);
      start?.catch(() => undefined);
      end?.catch(() => undefined);
    },
    seconds: async () => {
      if (start === undefined || end === undefined) return undefined;
      try {
        const [a, b] = await Promise.all([start, end]);
        return b.cpuSeconds - a.cpuSeconds;
      } catch {
        return undefined;
      }
    },
  };
}

function cell(value: number | undefined, floor: number | undefined, unit: string, digits = 1): string {
  if (value === undefined) return '—';
  const v = `${value.toFixed(digits)}${unit}`;
  if (floor === undefined || floor === 0) return v;
  return `${v} (${(value / floor).toFixed(2)}×)`;
}

/** The comparison as a text table: one row per metric, one column per server, ratios to the floor. */
export function formatCompare(t: CompareTable): string {
  const [floor, ...rest] = t.entries;
  if (floor === undefined) return 'no results';
  const columns = [floor, ...rest];
  const rows: Array<[string, (e: CompareEntry) => string]> = [
    [`server CPU per message at ${t.ratePerSec} msgs/s`, (e) => cell(e.cpuUsPerMessage, e === floor ? undefined : floor.cpuUsPerMessage, ' µs')],
    ['server CPU per message, open loop', (e) => cell(e.cpuUsPerMessageOpenLoop, e === floor ? undefined : floor.cpuUsPerMessageOpenLoop, ' µs')],
    [`p50 at ${t.ratePerSec} msgs/s`, (e) => cell(e.p50, e === floor ? undefined : floor.p50, ' ms', 2)],
    [`p99 at ${t.ratePerSec} msgs/s`, (e) => cell(e.p99, e === floor ? undefined : floor.p99, ' ms', 2)],
    ['delivered msgs/s, open loop', (e) => cell(e.maxMsgsPerSec, e === floor ? undefined : floor.maxMsgsPerSec, '', 0)],
    ['idle memory per connection', (e) => cell(e.idleBytesPerConnection === undefined ? undefined : e.idleBytesPerConnection / 1024, e === floor || floor.idleBytesPerConnection === undefined ? undefined : floor.idleBytesPerConnection / 1024, ' KiB')],
    [`lost at ${t.ratePerSec} msgs/s`, (e) => (e.lostAtRate === undefined ? '—' : String(e.lostAtRate))],
  ];
  const header = ['', ...columns.map((c) => c.name)];
  const body = rows.map(([label, get]) => [label, ...columns.map((c) => (c.unavailable === undefined ? get(c) : 'n/a'))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    `switchboard bench --compare: ${t.connections} connections, payload ${t.payloadChars} chars, fixed load ${t.ratePerSec} msgs/s, ${t.durationSec} s per run, open-loop window ${t.window}${(t.runs ?? 1) > 1 ? `; each figure the median of ${t.runs} runs` : ''}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '(ratios are to the raw ws echo floor; RELIABLE offline: per accepted message, latency to MESSAGE_ACCEPTED in the open-loop run)',
  ];
  for (const e of columns) {
    if (e.unavailable !== undefined) out.push(`${e.name}: unavailable: ${e.unavailable}`);
    for (const w of e.warnings) out.push(`${e.name}: ${w}`);
  }
  return out.join('\n');
}

const MEDIAN_FIELDS = ['cpuUsPerMessage', 'cpuUsPerMessageOpenLoop', 'p50', 'p99', 'lostAtRate', 'maxMsgsPerSec', 'idleBytesPerConnection'] as const;

/**
 * Combines the tables of repeated runs: each figure becomes the median of that figure over the
 * runs where it was measured (ratios are then taken between medians). Warnings are kept, once each.
 */
export function medianTable(tables: readonly CompareTable[]): CompareTable {
  const first = tables[0];
  if (first === undefined) throw new RangeError('medianTable needs at least one table');
  return { ...first, runs: tables.length, entries: medianEntries(tables, MEDIAN_FIELDS) };
}

