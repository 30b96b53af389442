// The AcceptLog conformance suite: run by every adapter's test file with a factory for an
// isolated namespace that several nodes share. Backend-neutral.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcceptLog } from '../../core/ports.js';
import type { UserId } from '../../core/ids.js';

/** One isolated namespace: every `node()` is a handle on the same shared state, with these times. */
export interface AcceptLogCluster {
  node(times: { windowMs: number; pendingMs: number; waitMs: number }): AcceptLog | Promise<AcceptLog>;
  cleanup?(): Promise<void>;
}

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(seq++).toString(36)}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const accepted = (reference: string, id: string): string => JSON.stringify({ type: 'MESSAGE_ACCEPTED', data: { reference, id } });

export function describeAcceptLogContract(name: string, factory: () => AcceptLogCluster | Promise<AcceptLogCluster>): void {
  describe(`AcceptLog contract: ${name}`, () => {
    let cluster: AcceptLogCluster;
    let handles: AcceptLog[];
    const node = async (times = { windowMs: 60_000, pendingMs: 10_000, waitMs: 1_000 }): Promise<AcceptLog> => {
      const h = await cluster.node(times);
      await h.start();
      handles.push(h);
      return h;
    };
    let user: UserId;

    beforeEach(async () => {
      cluster = await factory();
      handles = [];
      user = unique('demo') as UserId;
    });
    afterEach(async () => {
      for (const h of handles) await h.close();
      await cluster.cleanup?.();
    });

    it('takes a (user, reference) once; a repeat on another node gets the first MESSAGE_ACCEPTED', async () => {
      const [a, b] = [await node(), await node()];
      expect(await a.take(user, 'r1', 'id-1')).toEqual({ kind: 'new', id: 'id-1' });
      await a.settle(user, 'r1', accepted('r1', 'id-1'));
      expect(await b.take(user, 'r1', 'id-x')).toEqual({ kind: 'answered', frame: accepted('r1', 'id-1') });
      // A second settle keeps the first frame.
      await b.settle(user, 'r1', accepted('r1', 'id-2'));
      expect(await a.take(user, 'r1', 'id-x')).toEqual({ kind: 'answered', frame: accepted('r1', 'id-1') });
      // Other users and references are their own.
      expect(await b.take(`${user}0` as UserId, 'r1', 'id-3')).toEqual({ kind: 'new', id: 'id-3' });
      expect(await b.take(user, 'r2', 'id-4')).toEqual({ kind: 'new', id: 'id-4' });
    });

    it('a repeat waits for a pending pair, and gets its frame once settled', async () => {
      const [a, b] = [await node(), await node()];
      expect((await a.take(user, 'r1', 'id-x')).kind).toBe('new');
      const waiting = b.take(user, 'r1', 'id-x');
      await sleep(60);
      await a.settle(user, 'r1', accepted('r1', 'id-1'));
      expect(await waiting).toEqual({ kind: 'answered', frame: accepted('r1', 'id-1') });
    });

    it('a repeat that waited its bound finds it pending', async () => {
      const [a, b] = [await node(), await node({ windowMs: 60_000, pendingMs: 10_000, waitMs: 100 })];
      expect((await a.take(user, 'r1', 'id-x')).kind).toBe('new');
      const started = Date.now();
      expect(await b.take(user, 'r1', 'id-x')).toEqual({ kind: 'pending' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    });

    it('a refused pair is forgotten (taken again); a pending pair whose taker died is taken over after pendingMs, with its id', async () => {
      const times = { windowMs: 60_000, pendingMs: 200, waitMs: 1_000 };
      const [a, b] = [await node(times), await node(times)];
      expect((await a.take(user, 'r1', 'id-x')).kind).toBe('new');
      await a.forget(user, 'r1');
      // b never settles r1 (as if its node died): a repeat waiting for it takes it over once pendingMs
      // passed, with the id b was given (a message routed twice is one message).
      expect(await b.take(user, 'r1', 'id-b')).toEqual({ kind: 'new', id: 'id-b' });
      const started = Date.now();
      expect(await a.take(user, 'r1', 'id-a')).toEqual({ kind: 'new', id: 'id-b' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      // forget does not drop an accepted pair
      await a.settle(user, 'r1', accepted('r1', 'id-1'));
      await b.forget(user, 'r1');
      expect((await b.take(user, 'r1', 'id-x')).kind).toBe('answered');
    });

    it('forgets an accepted pair after its window', async () => {
      const times = { windowMs: 150, pendingMs: 10_000, waitMs: 1_000 };
      const [a, b] = [await node(times), await node(times)];
      expect((await a.take(user, 'r1', 'id-x')).kind).toBe('new');
      await a.settle(user, 'r1', accepted('r1', 'id-1'));
      await sleep(250);
      expect((await b.take(user, 'r1', 'id-x')).kind).toBe('new');
    });
  });
}
