import { describe, expect, it } from 'vitest';
import { DeliveryCounts } from './delivery-counts.js';

describe('DeliveryCounts', () => {
  it('counts arrivals per message and grows past its initial size', () => {
    const c = new DeliveryCounts();
    expect(c.increment(3)).toBe(1);
    expect(c.increment(3)).toBe(2);
    expect(c.increment(1_000_000)).toBe(1);
    expect(c.count(3)).toBe(2);
    expect(c.count(4)).toBe(0);
  });
});
