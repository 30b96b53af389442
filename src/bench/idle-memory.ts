/**
 * Memory for the idle scenario: the server process's RSS (by pid), the server's /metrics page, or,
 * with neither, this process's own RSS (the client side).
 */
import type { BenchRunOptions } from './bench-options.js';
import type { IdleMemory } from './bench-result.js';
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
