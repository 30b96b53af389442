import { describe, expect, it } from 'vitest';
import { connectionIds } from './connection-ids.js';

describe('connectionIds', () => {
  it('gives 16-character base64url ids, all different, also past a pool refill', () => {
    const next = connectionIds();
    const ids = Array.from({ length: 1_000 }, () => next());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
