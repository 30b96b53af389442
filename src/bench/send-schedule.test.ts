import { describe, expect, it } from 'vitest';
import { computeSchedule, connectionOf, dueCount, intendedAtMs } from './send-schedule.js';

describe('computeSchedule', () => {
  it('phases the seed scenario evenly inside one interval', () => {
    const s = computeSchedule({ scenario: 'seed', connections: 4, intervalMs: 10, ratePerSec: 1, durationSec: 2, warmupSec: 0 });
    expect(s.gapMs).toBe(2.5);
    expect(s.total).toBe(800); // 4 connections × 100 sends/s × 2 s
    expect([0, 1, 2, 3, 4].map((g) => connectionOf(s, g))).toEqual([0, 1, 2, 3, 0]);
    expect(intendedAtMs(s, 4)).toBe(10); // connection 0 again one interval later
  });

  it('spreads a fixed total rate over the connections', () => {
    const s = computeSchedule({ scenario: 'rate', connections: 3, intervalMs: 10, ratePerSec: 500, durationSec: 3, warmupSec: 1 });
    expect(s.gapMs).toBe(2);
    expect(s.warmupCount).toBe(500);
    expect(s.total).toBe(2000);
  });

  it('sends once per connection when the interval is longer than the run', () => {
    const s = computeSchedule({ scenario: 'seed', connections: 2, intervalMs: 5000, ratePerSec: 1, durationSec: 1, warmupSec: 0 });
    expect(s.total).toBe(1); // connection 0 at 0 ms; connection 1 is due at 2500 ms, after the end
    const t = computeSchedule({ scenario: 'seed', connections: 3, intervalMs: 1000, ratePerSec: 1, durationSec: 1, warmupSec: 0 });
    expect(t.total).toBe(3);
  });

  it('counts the sends due by a time, capped at the total', () => {
    const s = computeSchedule({ scenario: 'rate', connections: 1, intervalMs: 10, ratePerSec: 1000, durationSec: 1, warmupSec: 0 });
    expect(dueCount(s, -1)).toBe(0);
    expect(dueCount(s, 0)).toBe(1);
    expect(dueCount(s, 9.5)).toBe(10);
    expect(dueCount(s, 5000)).toBe(1000);
  });
});
