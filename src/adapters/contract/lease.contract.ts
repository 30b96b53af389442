// The Lease conformance suite: written once, run by every lease adapter's test file with a
// factory for an isolated lease namespace that several nodes can share. Backend-neutral.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Lease } from '../../core/ports.js';

/** One isolated lease namespace: every `node()` is a handle on the same shared state. */
export interface LeaseCluster {
  node(): Lease | Promise<Lease>;
  cleanup?(): Promise<void>;
}

export interface LeaseContractOptions {
  /**
   * Short lease used by the expiry cases, in milliseconds.
   * @default 300
   */
  readonly ttlMs?: number;
}

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(seq++).toString(36)}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const LONG_TTL_MS = 60_000;

export function describeLeaseContract(name: string, factory: () => LeaseCluster | Promise<LeaseCluster>, options: LeaseContractOptions = {}): void {
  const ttlMs = options.ttlMs ?? 300;

  describe(`Lease contract: ${name}`, () => {
    let cluster: LeaseCluster;
    let handles: Lease[];
    let a: Lease;
    let b: Lease;
    let lease: string;

    beforeEach(async () => {
      cluster = await factory();
      handles = [];
      for (let i = 0; i < 2; i++) {
        const h = await cluster.node();
        await h.start();
        handles.push(h);
      }
      [a, b] = handles as [Lease, Lease];
      lease = unique('lease');
    });

    afterEach(async () => {
      await Promise.all(handles.map((h) => h.close()));
      await cluster.cleanup?.();
    });

    it('is ready after start and not after close', async () => {
      expect(a.isReady()).toBe(true);
      await a.close();
      expect(a.isReady()).toBe(false);
    });

    it('grants a name to one holder at a time; the holder re-acquires with the same token', async () => {
      const token = await a.acquire(lease, 'node-a', LONG_TTL_MS);
      expect(token).toBeTypeOf('number');
      expect(await b.acquire(lease, 'node-b', LONG_TTL_MS)).toBeUndefined();
      expect(await a.acquire(lease, 'node-a', LONG_TTL_MS)).toBe(token);
      expect(await b.acquire(unique('other'), 'node-b', LONG_TTL_MS)).toBeTypeOf('number');
    });

    it('grants exactly one of many concurrent acquires', async () => {
      const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).acquire(lease, `node-${i}`, LONG_TTL_MS)));
      expect(tokens.filter((t) => t !== undefined)).toHaveLength(1);
    });

    it('renews for its holder and token only', async () => {
      const token = (await a.acquire(lease, 'node-a', ttlMs))!;
      expect(await a.renew(lease, 'node-a', token, ttlMs)).toBe(true);
      expect(await b.renew(lease, 'node-b', token, ttlMs)).toBe(false);
      expect(await a.renew(lease, 'node-a', token + 1, ttlMs)).toBe(false);
      await sleep(ttlMs / 2);
      expect(await a.renew(lease, 'node-a', token, ttlMs)).toBe(true);
      await sleep(ttlMs / 2 + 20);
      expect(await b.acquire(lease, 'node-b', ttlMs)).toBeUndefined();
    });

    it('grows the token on every change of owner, and the old owner cannot renew after expiry and takeover', async () => {
      const first = (await a.acquire(lease, 'node-a', ttlMs))!;
      await sleep(ttlMs + 50);
      const second = (await b.acquire(lease, 'node-b', ttlMs))!;
      expect(second).toBeGreaterThan(first);
      expect(await a.renew(lease, 'node-a', first, ttlMs)).toBe(false);
      expect(await a.acquire(lease, 'node-a', ttlMs)).toBeUndefined();
      await b.release(lease, 'node-b', second);
      const third = (await a.acquire(lease, 'node-a', ttlMs))!;
      expect(third).toBeGreaterThan(second);
    });

    it('lets another take the name after release; a stale release changes nothing', async () => {
      const first = (await a.acquire(lease, 'node-a', LONG_TTL_MS))!;
      await b.release(lease, 'node-b', first);
      await a.release(lease, 'node-a', first + 1);
      expect(await b.acquire(lease, 'node-b', LONG_TTL_MS)).toBeUndefined();
      await a.release(lease, 'node-a', first);
      const second = (await b.acquire(lease, 'node-b', LONG_TTL_MS))!;
      expect(second).toBeGreaterThan(first);
      await a.release(lease, 'node-a', first);
      expect(await b.renew(lease, 'node-b', second, LONG_TTL_MS)).toBe(true);
      expect(await a.renew(lease, 'node-a', first, LONG_TTL_MS)).toBe(false);
    });

    it('closes idempotently', async () => {
      await a.close();
      await a.close();
      expect(a.isReady()).toBe(false);
    });
  });
}
