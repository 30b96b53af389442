import { describe, expect, it } from 'vitest';
import { bucketCurve, timeToShare } from './reconnect-curve.js';

describe('bucketCurve', () => {
  it('counts the clients back by the end of each bucket', () => {
    const curve = bucketCurve([-20, 0, 40, 100, 101, 250, 999], 100, 300);
    expect(curve).toEqual([
      { ms: 100, reconnected: 4, inBucket: 4 },
      { ms: 200, reconnected: 5, inBucket: 1 },
      { ms: 300, reconnected: 6, inBucket: 1 },
    ]);
  });

  it('has one bucket at least, and refuses a bucket of 0', () => {
    expect(bucketCurve([], 100, 0)).toEqual([{ ms: 100, reconnected: 0, inBucket: 0 }]);
    expect(() => bucketCurve([1], 0, 10)).toThrow(RangeError);
  });
});

describe('timeToShare', () => {
  it('is the time the share-th client came back, or undefined when too few did', () => {
    const back = [500, 100, 300, 200, 400];
    expect(timeToShare(back, 5, 1)).toBe(500);
    expect(timeToShare(back, 5, 0.99)).toBe(500);
    expect(timeToShare(back, 5, 0.6)).toBe(300);
    expect(timeToShare(back, 6, 1)).toBeUndefined();
    expect(timeToShare([-5, 10], 2, 0.5)).toBe(0);
  });
});
