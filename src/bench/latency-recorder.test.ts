import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './latency-recorder.js';

describe('LatencyRecorder', () => {
  it('summarises percentiles in milliseconds, p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max', () => {
    const r = new LatencyRecorder();
    for (let i = 1; i <= 1000; i++) r.record(i / 10, 0); // 0.1 .. 100 ms
    const s = r.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(50, 0);
    expect(s.p99).toBeCloseTo(99, 0);
    expect(s.max).toBeCloseTo(100, 0);
    expect(s.p50).toBeLessThanOrEqual(s.p90);
    expect(s.p90).toBeLessThanOrEqual(s.p99);
    expect(s.p99).toBeLessThanOrEqual(s.p999);
    expect(s.p999).toBeLessThanOrEqual(s.max);
  });

  it('returns zeros when nothing was recorded', () => {
    const r = new LatencyRecorder();
    expect(r.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
    expect(r.buckets()).toEqual([]);
    expect(r.timeline()).toEqual([]);
  });

  it('keeps one point per second, including seconds with no arrivals', () => {
    const r = new LatencyRecorder();
    r.record(1, 100);
    r.record(3, 900);
    r.record(5, 3_200);
    const t = r.timeline();
    expect(t.map((p) => p.second)).toEqual([0, 1, 2, 3]);
    expect(t.map((p) => p.received)).toEqual([2, 0, 0, 1]);
    expect(t[0]!.max).toBeCloseTo(3, 1);
  });

  it('buckets values ten per decade and keeps every sample', () => {
    const r = new LatencyRecorder();
    r.record(0.5, 0);
    r.record(5, 0);
    r.record(50, 0);
    const b = r.buckets();
    expect(b.reduce((n, x) => n + x.count, 0)).toBe(3);
    expect(b[0]!.upToMs).toBeGreaterThan(0.5);
    expect(b.at(-1)!.upToMs).toBeGreaterThan(50);
  });
});

describe('summarize', () => {
  it('never reports a percentile above the maximum', () => {
    const r = new LatencyRecorder();
    for (let i = 0; i < 10_000; i++) r.record(5397.74, 0);
    const s = r.summary();
    expect(s.p999).toBeLessThanOrEqual(s.max);
    expect(s.p50).toBeLessThanOrEqual(s.max);
  });
});
