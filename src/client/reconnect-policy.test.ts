import { describe, expect, it } from 'vitest';
import { createReconnectPolicy } from './reconnect-policy.js';

describe('createReconnectPolicy', () => {
  it('doubles the step per attempt up to the cap', () => {
    const top = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10, 5000].map((a) => top.delayMs(a))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('jitters between half the step and the full step', () => {
    const low = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    expect([0, 1, 4].map((a) => low.delayMs(a))).toEqual([50, 100, 500]);
    const policy = createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 1000 });
    for (let i = 0; i < 100; i++) {
      const d = policy.delayMs(2);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it('refuses impossible bounds', () => {
    expect(() => createReconnectPolicy({ minDelayMs: 0 })).toThrow(RangeError);
    expect(() => createReconnectPolicy({ minDelayMs: 100, maxDelayMs: 50 })).toThrow(RangeError);
  });
});
