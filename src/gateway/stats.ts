/**
 * The console's JSON stats (`GET /console/api/stats`): read from the gateway's own prom-client
 * registry once a second into a bounded ring of samples, from which messages/s (over a sliding
 * window) and delivery latency p50/p99 (from the histogram's bucket deltas) are computed. Samples
 * are only taken while someone asks: the timer starts on the first request and stops after
 * `idleStopMs` without one, so an unwatched gateway pays nothing.
 */
import type { Registry } from 'prom-client';
import type { StatsBody, StatsNode } from '../protocol/console-stats.js';

export type { StatsBody, StatsNode } from '../protocol/console-stats.js';

/** One backend as the stats report it (`isReady` feeds /readyz too). */
export interface StatsBackend {
  readonly name: string;
  isReady(): boolean;
}

export interface ConsoleStatsOptions {
  readonly registry: Registry;
  readonly nodeId: string;
  /** Role → backend: `store`, `bus`, `presence`. */
  readonly backends: Readonly<Record<string, StatsBackend>>;
  /** The cluster's live nodes; rejects or is absent: only this node is listed. */
  readonly nodes?: () => Promise<readonly StatsNode[]>;
  readonly clock?: () => number;
  /** @default 1000 */
  readonly sampleEveryMs?: number;
  /** Samples kept (the chart's span is this times `sampleEveryMs`). @default 300 */
  readonly maxSamples?: number;
  /** Samples a rate or a quantile is computed over. @default 10 */
  readonly windowSamples?: number;
  /** Sampling stops this long after the last request. @default 600000 */
  readonly idleStopMs?: number;
}

interface Sample {
  readonly t: number;
  readonly routed: ReadonlyMap<string, number>;
  readonly framesIn: number;
  readonly framesOut: number;
  /** Cumulative bucket counts, one per bound and the last for +Inf. */
  readonly buckets: readonly number[];
  readonly p50: number | null;
  readonly p99: number | null;
}

export interface ConsoleStats {
  /** The current stats; starts sampling when it was stopped. */
  snapshot(): Promise<StatsBody>;
  /** Stops the sampling timer (gateway stop). Idempotent. */
  stop(): void;
}

interface MetricValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

async function values(registry: Registry, name: string): Promise<readonly MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const got = (await metric.get()) as { values: readonly MetricValue[] };
  return got.values;
}

const sum = (list: readonly MetricValue[]): number => list.reduce((total, v) => total + v.value, 0);

/**
 * The q-quantile of the observations between two cumulative bucket snapshots, interpolated
 * linearly inside its bucket (Prometheus' histogram_quantile). Past the last bound it answers that
 * bound. Null when nothing was observed in between.
 */
export function bucketQuantile(bounds: readonly number[], before: readonly number[], after: readonly number[], q: number): number | null {
  const total = (after[bounds.length] ?? 0) - (before[bounds.length] ?? 0);
  if (total <= 0) return null;
  const rank = q * total;
  let previous = 0;
  for (let i = 0; i <= bounds.length; i++) {
    const cumulative = (after[i] ?? 0) - (before[i] ?? 0);
    if (cumulative >= rank) {
      if (i === bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      const inBucket = cumulative - previous;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - previous)) / inBucket;
    }
    previous = cumulative;
  }
  return bounds[bounds.length - 1] ?? null;
}

/** Per-second rate of each key between two samples' counters. */
export function rates(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, seconds: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (seconds <= 0) return out;
  for (const [key, value] of after) out[key] = Math.max(0, value - (before.get(key) ?? 0)) / seconds;
  return out;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function createConsoleStats(options: ConsoleStatsOptions): ConsoleStats {
  const clock = options.clock ?? Date.now;
  const everyMs = options.sampleEveryMs ?? 1_000;
  const maxSamples = options.maxSamples ?? 300;
  const windowSamples = options.windowSamples ?? 10;
  const idleStopMs = options.idleStopMs ?? 600_000;
  const startedAt = clock();
  /** Bounded: at most `maxSamples`, the oldest dropped first. */
  const ring: Sample[] = [];
  let bounds: number[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastAskedAt = 0;
  let sampling: Promise<void> | undefined;

  async function readSample(): Promise<void> {
    const routedValues = await values(options.registry, 'switchboard_messages_routed_total');
    const routed = new Map<string, number>();
    for (const v of routedValues) {
      const key = `${String(v.labels.type)}/${String(v.labels.feature)}`;
      routed.set(key, (routed.get(key) ?? 0) + v.value);
    }
    const framesIn = sum(await values(options.registry, 'switchboard_frames_in_total'));
    const framesOut = sum(await values(options.registry, 'switchboard_frames_out_total'));
    const histogram = (await values(options.registry, 'switchboard_delivery_latency_seconds')).filter((v) => v.metricName?.endsWith('_bucket') === true);
    bounds = histogram.filter((v) => v.labels.le !== '+Inf').map((v) => Number(v.labels.le));
    const buckets = histogram.map((v) => v.value);
    const base = ring[Math.max(0, ring.length - windowSamples)];
    const before = base?.buckets ?? [];
    const toMs = (s: number | null): number | null => (s === null ? null : round(s * 1000, 3));
    ring.push({ t: clock(), routed, framesIn, framesOut, buckets, p50: toMs(bucketQuantile(bounds, before, buckets, 0.5)), p99: toMs(bucketQuantile(bounds, before, buckets, 0.99)) });
    if (ring.length > maxSamples) ring.shift();
  }

  function sample(): Promise<void> {
    // One read at a time: a slow registry read never piles up.
    sampling ??= readSample().finally(() => (sampling = undefined));
    return sampling;
  }

  function tick(): void {
    if (clock() - lastAskedAt > idleStopMs) {
      stop();
      return;
    }
    void sample().catch(() => undefined);
  }

  function stop(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  async function nodes(): Promise<readonly StatsNode[]> {
    if (options.nodes !== undefined) {
      try {
        return await options.nodes();
      } catch {
        // The cluster view is unavailable (bus or presence down): this node at least.
      }
    }
    return [{ nodeId: options.nodeId, connections: await connectionsNow() }];
  }

  async function connectionsNow(): Promise<number> {
    return sum(await values(options.registry, 'switchboard_connections'));
  }

  async function snapshot(): Promise<StatsBody> {
    lastAskedAt = clock();
    if (timer === undefined) {
      // A fresh start: what an earlier watch left is stale (the chart would bridge the gap).
      ring.length = 0;
      timer = setInterval(tick, everyMs);
      timer.unref();
    }
    if (ring.length === 0) await sample();
    const last = ring[ring.length - 1]!;
    const first = ring[Math.max(0, ring.length - 1 - windowSamples)]!;
    const seconds = (last.t - first.t) / 1000;
    const byType = rates(first.routed, last.routed, seconds);
    const byFeature: Record<string, number> = {};
    for (const [key, rate] of Object.entries(byType)) {
      const feature = key.split('/')[1] ?? '';
      byFeature[feature] = round((byFeature[feature] ?? 0) + rate, 2);
      byType[key] = round(rate, 2);
    }
    const frameRate = (pick: (s: Sample) => number): number => (seconds > 0 ? round(Math.max(0, pick(last) - pick(first)) / seconds, 2) : 0);
    return {
      nodeId: options.nodeId,
      now: clock(),
      uptimeSec: Math.round((clock() - startedAt) / 1000),
      connections: await connectionsNow(),
      usersOnline: sum(await values(options.registry, 'switchboard_users_online')),
      messagesPerSec: byFeature,
      messagesPerSecByType: byType,
      framesInPerSec: frameRate((s) => s.framesIn),
      framesOutPerSec: frameRate((s) => s.framesOut),
      windowSec: round(seconds, 2),
      latency: { t: ring.map((s) => s.t), p50: ring.map((s) => s.p50), p99: ring.map((s) => s.p99) },
      backends: Object.entries(options.backends).map(([role, b]) => ({ role, name: b.name, ready: b.isReady() })),
      nodes: await nodes(),
    };
  }

  return { snapshot, stop };
}
