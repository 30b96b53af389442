/**
 * Memory for the idle scenario: the server process's RSS (by pid), the server's /metrics page, or,
 * with neither, this process's own RSS (the client side). With the server's inspector URL
 * (`--server-inspect`), each reading is taken twice: as found, then after a forced full garbage
 * collection in the server (inspector-gc.ts), together with its JavaScript heap in use.
 */
import type { BenchRunOptions } from './bench-options.js';
import type { IdleMemory } from './bench-result.js';
import { idleBaselineWarnings } from './idle-baseline.js';
import { collectGarbage } from './inspector-gc.js';
import { fetchMetricsRss, sampleProcess } from './process-stats.js';

type MemoryOptions = Pick<BenchRunOptions, 'serverPid' | 'metricsUrl' | 'serverInspect'>;

/** One reading of the server's (or this process's) memory. */
export interface IdleMemorySample {
  readonly source: IdleMemory['source'];
  /** RSS as found, bytes. */
  readonly bytes: number;
  readonly cpuSeconds?: number;
  /** With --server-inspect: RSS and heap in use right after a forced full collection. */
  readonly collected?: { readonly rssBytes: number; readonly heapUsedBytes: number };
  /** With --server-inspect, when the collection could not be forced: why. */
  readonly collectError?: string;
}

async function readRss(o: MemoryOptions): Promise<{ source: IdleMemory['source']; bytes: number; cpuSeconds?: number }> {
  if (o.serverPid !== undefined) {
    const sample = await sampleProcess(o.serverPid);
    return { source: 'server-pid', bytes: sample.rssBytes, cpuSeconds: sample.cpuSeconds };
  }
  if (o.metricsUrl !== undefined) return { source: 'metrics', bytes: await fetchMetricsRss(o.metricsUrl) };
  return { source: 'client', bytes: process.memoryUsage().rss };
}

/** undefined when the source could not be read (the run reports it as a warning). */
export async function sampleIdleMemory(o: MemoryOptions): Promise<IdleMemorySample | undefined> {
  let found: Awaited<ReturnType<typeof readRss>>;
  try {
    found = await readRss(o);
  } catch {
    // Reported as a warning by the caller (no idleMemory in the result).
    return undefined;
  }
  if (o.serverInspect === undefined || found.source === 'client') return found;
  try {
    const { heapUsedBytes } = await collectGarbage(o.serverInspect);
    return { ...found, collected: { rssBytes: (await readRss(o)).bytes, heapUsedBytes } };
  } catch (err) {
    return { ...found, collectError: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The idle run's memory from its two readings (same source only, else undefined): RSS growth per
 * connection as found and, when both readings forced a collection, RSS and heap growth per
 * connection after it. Warnings (a server that was not fresh, a collection that failed) go to `warn`.
 */
export function idleMemoryOf(before: IdleMemorySample | undefined, after: IdleMemorySample | undefined, connected: number, warn: (warnings: string[]) => void): IdleMemory | undefined {
  if (before === undefined || after === undefined || before.source !== after.source) return undefined;
  const perConnection = (from: number, to: number): number => Math.round((to - from) / connected);
  const b = before.collected;
  const a = after.collected;
  const idleMemory: IdleMemory = {
    source: after.source,
    rssBeforeBytes: before.bytes,
    rssAfterBytes: after.bytes,
    bytesPerConnection: perConnection(before.bytes, after.bytes),
    ...(b === undefined || a === undefined
      ? {}
      : {
          afterGc: {
            rssBeforeBytes: b.rssBytes,
            rssAfterBytes: a.rssBytes,
            bytesPerConnection: perConnection(b.rssBytes, a.rssBytes),
            heapUsedBeforeBytes: b.heapUsedBytes,
            heapUsedAfterBytes: a.heapUsedBytes,
            heapBytesPerConnection: perConnection(b.heapUsedBytes, a.heapUsedBytes),
          },
        }),
  };
  const warnings: string[] = [];
  const failed = before.collectError ?? after.collectError;
  if (failed !== undefined) warnings.push(`could not force a garbage collection in the server (${failed}): memory is reported as found only`);
  if (after.source !== 'client') {
    const cpu = before.cpuSeconds === undefined ? {} : { cpuSecondsBefore: before.cpuSeconds };
    warnings.push(...idleBaselineWarnings({ rssBeforeBytes: before.bytes, bytesPerConnection: idleMemory.bytesPerConnection, ...cpu }));
  }
  if (warnings.length > 0) warn(warnings);
  return idleMemory;
}

/** The idle run's memory once its time is up: {@link idleMemoryOf} `before` and a reading now. */
export async function idleMemoryAfter(o: MemoryOptions, before: IdleMemorySample | undefined, connected: number, warn: (warnings: string[]) => void): Promise<IdleMemory | undefined> {
  return idleMemoryOf(before, await sampleIdleMemory(o), connected, warn);
}
