import { describe, expect, it } from 'vitest';
import { createReconnectPolicy, MAX_RETRY_AFTER_MS, parseRetryAfter, serverBusy } from './reconnect-policy.js';

/** A deterministic `random`: the given values in turn, again and again. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('createReconnectPolicy', () => {
  it('doubles the step per attempt up to the cap (the top of the jitter)', () => {
    const top = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10, 5000].map((a) => top.delayMs(a))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('jitters fully, from half the minimum to the step', () => {
    const low = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    expect([0, 1, 4, 50].map((a) => low.delayMs(a))).toEqual([50, 50, 50, 50]);
    const half = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.5);
    expect([0, 1, 2, 3, 9].map((a) => half.delayMs(a))).toEqual([75, 125, 225, 425, 525]);
  });

  it('defaults to 0.5 s doubling to a 5 s cap', () => {
    const top = createReconnectPolicy({}, () => 0.999999);
    expect([0, 1, 2, 3, 4, 20].map((a) => top.delayMs(a))).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    expect(createReconnectPolicy({}, () => 0).delayMs(20)).toBe(250);
  });

  it('spreads a fleet: 10,000 delays at a high attempt cover the range evenly', () => {
    let seed = 42;
    // A small linear congruential generator: deterministic, roughly uniform.
    const lcg = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const policy = createReconnectPolicy({}, lcg);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const d = policy.delayMs(8);
      expect(d).toBeGreaterThanOrEqual(250);
      expect(d).toBeLessThanOrEqual(5000);
      buckets[Math.min(9, Math.floor((d - 250) / 475))]!++;
    }
    for (const n of buckets) expect(n).toBeGreaterThan(800);
  });

  it('waits a Retry-After plus up to half of it again, whatever the attempt', () => {
    const policy = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, sequence(0, 0.5, 0.999999));
    expect([0, 0, 0].map(() => policy.delayMs(7, { code: 1006, status: 503, retryAfterMs: 3000 }))).toEqual([3000, 3750, 4500]);
    // Below the floor: the floor; above the ceiling: the ceiling.
    const low = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    expect(low.delayMs(0, { retryAfterMs: 0 })).toBe(50);
    expect(low.delayMs(0, { retryAfterMs: 3_600_000 })).toBe(MAX_RETRY_AFTER_MS);
  });

  it('backs off to between half the cap and the cap when the server is busy without saying how long', () => {
    const low = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    const top = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    for (const advice of [{ code: 1013 }, { code: 1006, status: 503 }, { code: 1006, status: 429 }]) {
      expect(serverBusy(advice)).toBe(true);
      expect([low.delayMs(0, advice), top.delayMs(0, advice)]).toEqual([500, 1000]);
    }
    // Other closes and statuses follow the exponential step.
    expect(serverBusy({ code: 1006, status: 404 })).toBe(false);
    expect(top.delayMs(0, { code: 1006, status: 404 })).toBe(100);
    expect(top.delayMs(1, { code: 1001 })).toBe(200);
  });

  it('refuses impossible bounds', () => {
    expect(() => createReconnectPolicy({ minDelayMs: 0 })).toThrow(RangeError);
    expect(() => createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 50 })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter([' 0 '])).toBe(0);
    const now = Date.parse('Sun, 06 Dec 2026 10:00:00 GMT');
    expect(parseRetryAfter('Sun, 06 Dec 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 06 Dec 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', '-1', '1.5', 'soon', []]) expect(parseRetryAfter(value)).toBeUndefined();
  });
});
