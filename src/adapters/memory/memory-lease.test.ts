import { describe, expect, it } from 'vitest';
import { describeLeaseContract } from '../contract/lease.contract.js';
import { MemoryLease } from './memory-lease.js';

describeLeaseContract('memory', () => {
  const shared = new MemoryLease();
  return { node: () => shared };
});

describe('MemoryLease', () => {
  it('expires on its clock', async () => {
    let now = 0;
    const lease = new MemoryLease({ clock: () => now });
    expect(await lease.acquire('x', 'a', 100)).toBe(1);
    now = 99;
    expect(await lease.acquire('x', 'b', 100)).toBeUndefined();
    now = 199;
    expect(await lease.acquire('x', 'b', 100)).toBe(2);
  });
});
