import { describe, expect, it } from 'vitest';
import type { UserId } from './ids.js';
import { LocalConnections } from './local-connections.js';
import type { Peer } from './peer.js';

const peer = (name: string): Peer => ({ name }) as unknown as Peer;
const u = 'demo-1' as UserId;

describe('LocalConnections', () => {
  it('keeps a user from the first connection to the last, counting and listing them', () => {
    const local = new LocalConnections();
    const [a, b, c] = [peer('a'), peer('b'), peer('c')];
    expect(local.add(u, a)).toBe(true);
    expect(local.add(u, a)).toBe(false);
    expect(local.of(u)).toEqual([a]);
    expect(local.count(u)).toBe(1);
    expect(local.add(u, b)).toBe(false);
    expect(local.add(u, c)).toBe(false);
    expect(local.of(u)).toEqual([a, b, c]);
    expect(local.count(u)).toBe(3);
    expect([...local.entries()]).toEqual([[u, [a, b, c]]]);
    expect(local.remove(u, b)).toBe(false);
    expect(local.remove(u, b)).toBeUndefined();
    expect(local.remove(u, a)).toBe(false);
    expect(local.of(u)).toEqual([c]);
    expect([...local.entries()]).toEqual([[u, [c]]]);
    expect(local.userCount).toBe(1);
    expect(local.remove(u, c)).toBe(true);
    expect(local.of(u)).toBeUndefined();
    expect(local.count(u)).toBe(0);
    expect(local.has(u)).toBe(false);
    expect(local.userCount).toBe(0);
  });

  it('hands out lists that do not change when a connection opens or closes meanwhile', () => {
    const local = new LocalConnections();
    const [a, b] = [peer('a'), peer('b')];
    local.add(u, a);
    const one = local.of(u);
    local.add(u, b);
    const two = local.of(u);
    local.remove(u, a);
    expect(one).toEqual([a]);
    expect(two).toEqual([a, b]);
    expect(local.of(u)).toEqual([b]);
  });
});
