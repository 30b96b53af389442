import { describe, expect, it } from 'vitest';
import { keySlot } from './redis-key-slot.js';

describe('keySlot', () => {
  it('matches the slots Redis Cluster gives (CLUSTER KEYSLOT)', () => {
    expect(keySlot('123456789')).toBe(12_739);
    expect(keySlot('foo')).toBe(12_182);
    expect(keySlot('somekey')).toBe(11_058);
  });

  it('hashes only a non-empty hash tag', () => {
    expect(keySlot('a{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('x{user1000}y{z}')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
    expect(keySlot('{}')).not.toBe(keySlot(''));
  });
});
