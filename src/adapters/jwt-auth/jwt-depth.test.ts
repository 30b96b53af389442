import { describe, expect, it } from 'vitest';
import { depthOf, MAX_CLAIMS_DEPTH } from './jwt-checks.js';

describe('depthOf', () => {
  it('measures nesting without recursion, stopping past the bound', () => {
    expect(depthOf('x')).toBe(0);
    expect(depthOf({ a: [1, { b: 2 }] })).toBe(3);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(depthOf(deep)).toBe(MAX_CLAIMS_DEPTH + 1);
  });
});
