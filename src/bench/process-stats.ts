/**
 * Reads a server's resource use from outside: CPU time and resident memory of a process from
 * /proc (Linux), or resident memory from a Prometheus /metrics page.
 */
import { readFile } from 'node:fs/promises';

/** CPU and memory of one process at one moment. */
export interface ProcessSample {
  /** User + system CPU time since the process started, seconds. */
  readonly cpuSeconds: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
}

/** Clock ticks per second of /proc/PID/stat times; 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SEC = 100;

/** A process's stats could not be read (not Linux, process gone, page unreachable). */
export class ProcessStatsError extends Error {
  override readonly name = 'ProcessStatsError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Parses the text of /proc/PID/stat into CPU seconds (utime + stime). The command name (field 2)
 * may contain spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): number {
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // After the name: state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new ProcessStatsError('unexpected /proc/PID/stat layout');
  return (utime + stime) / CLOCK_TICKS_PER_SEC;
}

/** Parses VmRSS out of /proc/PID/status, bytes. */
export function parseProcStatusRss(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (match?.[1] === undefined) throw new ProcessStatsError('no VmRSS line in /proc/PID/status');
  return Number(match[1]) * 1024;
}

/** Reads CPU time and RSS of process `pid` from /proc; rejects with {@link ProcessStatsError}. */
export async function sampleProcess(pid: number): Promise<ProcessSample> {
  try {
    const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
    return { cpuSeconds: parseProcStat(stat), rssBytes: parseProcStatusRss(status) };
  } catch (err) {
    if (err instanceof ProcessStatsError) throw err;
    throw new ProcessStatsError(`cannot read /proc/${pid}`, { cause: err });
  }
}

/** Reads `process_resident_memory_bytes` from a Prometheus text page; rejects with {@link ProcessStatsError}. */
export async function fetchMetricsRss(metricsUrl: string): Promise<number> {
  let text: string;
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
    text = await response.text();
  } catch (err) {
    throw new ProcessStatsError(`cannot fetch ${metricsUrl}`, { cause: err });
  }
  const match = /^process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.eE+]+)/m.exec(text);
  if (match?.[1] === undefined) throw new ProcessStatsError('no process_resident_memory_bytes in the metrics page');
  return Number(match[1]);
}
