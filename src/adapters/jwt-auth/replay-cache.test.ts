import { describe, expect, it } from 'vitest';
import { ReplayCache } from './replay-cache.js';

describe('ReplayCache', () => {
  it('reports an id seen within the TTL, and forgets it after', () => {
    const cache = new ReplayCache(1_000);
    expect(cache.seen('a', 0)).toBe(false);
    expect(cache.seen('a', 999)).toBe(true);
    expect(cache.seen('a', 1_000)).toBe(false);
  });

  it('holds at most maxEntries ids, forgetting the oldest first', () => {
    const cache = new ReplayCache(60_000, 3);
    for (const id of ['a', 'b', 'c', 'd']) expect(cache.seen(id, 0)).toBe(false);
    expect(cache.size).toBe(3);
    expect(cache.seen('d', 1)).toBe(true);
    expect(cache.seen('a', 1)).toBe(false);
  });

  it('prunes expired ids as time passes', () => {
    const cache = new ReplayCache(10);
    for (let i = 0; i < 100; i++) cache.seen(`id-${i}`, i);
    expect(cache.size).toBeLessThanOrEqual(11);
  });
});
