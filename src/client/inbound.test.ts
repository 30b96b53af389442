import { afterEach, describe, expect, it, vi } from 'vitest';
import { Inbound, SeenIds } from './inbound.js';

describe('Inbound', () => {
  afterEach(() => vi.useRealTimers());

  it('takes frames in order, drops repeats, reports gaps, and batches ACKs', () => {
    vi.useFakeTimers();
    const acks: number[] = [];
    const inbound = new Inbound(50, 3, (seq) => acks.push(seq));
    expect(inbound.take(1)).toBe('new');
    expect(inbound.take(1)).toBe('repeat');
    expect(inbound.take(3)).toBe('gap');
    expect(acks).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(acks).toEqual([1]);
    inbound.take(2);
    inbound.take(3);
    inbound.take(4);
    expect(acks).toEqual([1, 4]);
    expect(inbound.repeats).toBe(1);
    inbound.stop();
  });
});

describe('SeenIds', () => {
  it('remembers between max and twice max ids', () => {
    const seen = new SeenIds(2);
    expect(seen.check('a')).toBe(false);
    expect(seen.check('a')).toBe(true);
    seen.check('b');
    seen.check('c');
    seen.check('d');
    expect(seen.check('c')).toBe(true);
    expect(seen.check('a')).toBe(false);
  });
});
