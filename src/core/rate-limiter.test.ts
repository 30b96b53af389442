import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows a burst of twice the rate, then refuses', () => {
    const limiter = new RateLimiter(10, 0);
    let allowed = 0;
    for (let i = 0; i < 50; i++) if (limiter.take(0)) allowed++;
    expect(allowed).toBe(20);
  });

  it('refills at the rate', () => {
    const limiter = new RateLimiter(10, 0);
    for (let i = 0; i < 20; i++) limiter.take(0);
    expect(limiter.take(0)).toBe(false);
    expect(limiter.take(100)).toBe(true); // 100 ms at 10/s = 1 token
    expect(limiter.take(100)).toBe(false);
  });

  it('never limits when the rate is 0', () => {
    const limiter = new RateLimiter(0, 0);
    for (let i = 0; i < 10_000; i++) expect(limiter.take(0)).toBe(true);
  });

  it('borrow goes into debt and says how long to stop reading', () => {
    const limiter = new RateLimiter(10, 0);
    for (let i = 0; i < 20; i++) expect(limiter.borrow(0)).toBe(0);
    expect(limiter.borrow(0)).toBe(200); // tokens -1: 2 tokens at 10/s until a whole one
    expect(limiter.borrow(0)).toBe(300);
    expect(limiter.borrow(300)).toBe(0); // +3 tokens: back to 0 after this one
    expect(limiter.take(300)).toBe(false);
  });
});
