/**
 * Memory for the idle scenario: the server process's RSS (by pid), the server's /metrics page, or,
 * with neither, this process's own RSS (the client side).
 */
import type { BenchRunOptions } from './bench-options.js';
import type { IdleMemory } from './bench-result.js';
import { idleBaselineWarnings } from './idle-baseline.js';
import { fetchMetricsRss, sampleProcess } from './process-stats.js';

/** undefined when the source could not be read (the run reports it as a warning). */
export async function sampleIdleMemory(o: Pick<BenchRunOptions, 'serverPid' | 'metricsUrl'>): Promise<{ source: IdleMemory['source']; bytes: number; cpuSeconds?: number } | undefined> {
  try {
    if (o.serverPid !== undefined) {
      const sample = await sampleProcess(o.serverPid);
      return { source: 'server-pid', bytes: sample.rssBytes, cpuSeconds: sample.cpuSeconds };
    }
    if (o.metricsUrl !== undefined) return { source: 'metrics', bytes: await fetchMetricsRss(o.metricsUrl) };
  } catch {
    // Reported as a warning by the caller (no idleMemory in the result).
    return undefined;
  }
  return { source: 'client', bytes: process.memoryUsage().rss };
}

type Sample = Awaited<ReturnType<typeof sampleIdleMemory>>;

/**
 * The idle run's memory once its time is up: RSS growth per connection since `before` (same source
 * only), and the idle baseline's warnings about the server's figures (handed to `warn`).
 */
export async function idleMemoryAfter(o: Pick<BenchRunOptions, 'serverPid' | 'metricsUrl'>, before: Sample, connected: number, warn: (warnings: string[]) => void): Promise<IdleMemory | undefined> {
  const after = await sampleIdleMemory(o);
  if (before === undefined || after === undefined || before.source !== after.source) return undefined;
  const idleMemory: IdleMemory = {
    source: after.source,
    rssBeforeBytes: before.bytes,
    rssAfterBytes: after.bytes,
    bytesPerConnection: Math.round((after.bytes - before.bytes) / connected),
  };
  if (after.source !== 'client') {
    const cpu = before.cpuSeconds === undefined ? {} : { cpuSecondsBefore: before.cpuSeconds };
    warn(idleBaselineWarnings({ rssBeforeBytes: before.bytes, bytesPerConnection: idleMemory.bytesPerConnection, ...cpu }));
  }
  return idleMemory;
}
