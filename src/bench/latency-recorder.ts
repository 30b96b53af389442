/**
 * Latency bookkeeping for one run: an HDR histogram of every measured round trip (microsecond
 * resolution) plus one small histogram per second for the latency-over-time series. No I/O.
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** Latency percentiles of a set of samples, milliseconds (3 significant digits). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** One second of the run: when it started (s after measurement start) and what it saw. */
export interface TimelinePoint {
  readonly second: number;
  readonly received: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** One histogram bucket for the report: upper bound of the bucket (ms) and its count. */
export interface HistogramBucket {
  readonly upToMs: number;
  readonly count: number;
}

function newHistogram(): Histogram {
  // 1 µs .. 1 hour, 3 significant digits; 32-bit counters are plenty for a bounded run.
  return build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

const BUCKETS_PER_DECADE = 10;

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Summarises a histogram holding microseconds into milliseconds. */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  // A percentile is reported as its bucket's upper edge, which can lie above the largest value
  // recorded; clamping keeps p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max true.
  const max = h.maxValue;
  const at = (p: number): number => round3(Math.min(h.getValueAtPercentile(p), max) / 1000);
  return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: round3(max / 1000), mean: round3(h.mean / 1000) };
}

/**
 * Records round-trip latencies. `record` is called once per matched message with the latency in
 * milliseconds and the ms since measurement start at which it arrived; it allocates nothing.
 */
export class LatencyRecorder {
  readonly #all = newHistogram();
  readonly #second = newHistogram();
  #currentSecond = 0;
  #secondCount = 0;
  readonly #timeline: TimelinePoint[] = [];
  // Ten buckets per decade of microseconds, 1 µs .. 10^10 µs, for the report's histogram.
  readonly #logBuckets = new Uint32Array(10 * BUCKETS_PER_DECADE);

  /** Records one latency (ms, ≥ 0) observed at `atMs` after measurement start. */
  record(latencyMs: number, atMs: number): void {
    const us = latencyMs <= 0 ? 1 : Math.round(latencyMs * 1000) || 1;
    const second = atMs <= 0 ? 0 : Math.floor(atMs / 1000);
    if (second !== this.#currentSecond) this.#closeSeconds(second);
    this.#all.recordValue(us);
    this.#second.recordValue(us);
    this.#secondCount++;
    const bucket = Math.min(this.#logBuckets.length - 1, Math.floor(Math.log10(us) * BUCKETS_PER_DECADE));
    this.#logBuckets[bucket] = (this.#logBuckets[bucket] ?? 0) + 1;
  }

  #closeSeconds(next: number): void {
    // Seconds with no arrival at all still appear in the series (as zeros): a stall must show.
    while (this.#currentSecond < next) {
      const s = summarize(this.#second);
      this.#timeline.push({ second: this.#currentSecond, received: this.#secondCount, p50: s.p50, p99: s.p99, max: s.max });
      this.#second.reset();
      this.#secondCount = 0;
      this.#currentSecond++;
    }
  }

  /** Percentiles over everything recorded so far. */
  summary(): LatencySummary {
    return summarize(this.#all);
  }

  /** p99 of the current (incomplete) second, ms; for the progress line. */
  currentP99(): number {
    return this.#second.totalCount === 0 ? 0 : round3(this.#second.getValueAtPercentile(99) / 1000);
  }

  /** The per-second series up to and including the second in progress. */
  timeline(): TimelinePoint[] {
    const s = summarize(this.#second);
    const open = this.#secondCount > 0 ? [{ second: this.#currentSecond, received: this.#secondCount, p50: s.p50, p99: s.p99, max: s.max }] : [];
    return [...this.#timeline, ...open];
  }

  /**
   * The latency distribution as log-spaced buckets (ten per decade, from 1 µs), trimmed to the
   * range that holds values; empty when nothing was recorded.
   */
  buckets(): HistogramBucket[] {
    let first = -1;
    let last = -1;
    for (let i = 0; i < this.#logBuckets.length; i++) {
      if (this.#logBuckets[i] !== 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    const out: HistogramBucket[] = [];
    if (first < 0) return out;
    for (let i = first; i <= last; i++) out.push({ upToMs: round3(Math.pow(10, (i + 1) / BUCKETS_PER_DECADE) / 1000), count: this.#logBuckets[i] ?? 0 });
    return out;
  }
}
