// The Presence conformance suite: written once, run by every presence adapter's test file with
// a factory that returns a fresh, isolated Presence. Backend-neutral.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Presence } from '../../core/ports.js';
import { asConnectionId, asNodeId, asUserId } from '../../core/ids.js';
import type { UserId } from '../../core/ids.js';

/** Makes a fresh Presence that shares no data with any other one it made (own key prefix or instance). */
export type PresenceFactory = () => Presence | Promise<Presence>;

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(seq++).toString(36)}`;
const conn = (): ReturnType<typeof asConnectionId> => asConnectionId(unique('conn'));
const nodeA = asNodeId('node-a');
const nodeB = asNodeId('node-b');

export function describePresenceContract(name: string, factory: PresenceFactory): void {
  describe(`Presence contract: ${name}`, () => {
    let presence: Presence;
    let alice: UserId;
    let bob: UserId;

    beforeEach(async () => {
      presence = await factory();
      await presence.start();
      alice = asUserId(unique('demo-alice'));
      bob = asUserId(unique('demo-bob'));
    });

    afterEach(async () => {
      await presence.close();
    });

    it('is ready after start and not after close', async () => {
      expect(presence.isReady()).toBe(true);
      await presence.close();
      expect(presence.isReady()).toBe(false);
    });

    it('reports an unknown user offline with no connections', async () => {
      expect(await presence.isOnline(alice)).toBe(false);
      expect(await presence.connectionCount(alice)).toBe(0);
    });

    it('reports firstForUser only for the first connection', async () => {
      expect(await presence.addConnection(alice, conn(), nodeA)).toEqual({ firstForUser: true });
      expect(await presence.addConnection(alice, conn(), nodeA)).toEqual({ firstForUser: false });
      expect(await presence.addConnection(alice, conn(), nodeB)).toEqual({ firstForUser: false });
      expect(await presence.isOnline(alice)).toBe(true);
      expect(await presence.connectionCount(alice)).toBe(3);
    });

    it('reports lastForUser only for the last connection', async () => {
      const [c1, c2] = [conn(), conn()];
      await presence.addConnection(alice, c1, nodeA);
      await presence.addConnection(alice, c2, nodeB);
      expect(await presence.removeConnection(alice, c1)).toEqual({ lastForUser: false });
      expect(await presence.isOnline(alice)).toBe(true);
      expect(await presence.removeConnection(alice, c2)).toEqual({ lastForUser: true });
      expect(await presence.isOnline(alice)).toBe(false);
      expect(await presence.connectionCount(alice)).toBe(0);
    });

    it('reports lastForUser false for unknown or already removed connections', async () => {
      const c1 = conn();
      expect(await presence.removeConnection(alice, c1)).toEqual({ lastForUser: false });
      await presence.addConnection(alice, c1, nodeA);
      expect(await presence.removeConnection(alice, conn())).toEqual({ lastForUser: false });
      expect(await presence.removeConnection(bob, c1)).toEqual({ lastForUser: false });
      expect(await presence.removeConnection(alice, c1)).toEqual({ lastForUser: true });
      expect(await presence.removeConnection(alice, c1)).toEqual({ lastForUser: false });
    });

    it('counts a connection added twice once', async () => {
      const c1 = conn();
      expect(await presence.addConnection(alice, c1, nodeA)).toEqual({ firstForUser: true });
      expect(await presence.addConnection(alice, c1, nodeA)).toEqual({ firstForUser: false });
      expect(await presence.connectionCount(alice)).toBe(1);
      expect(await presence.removeConnection(alice, c1)).toEqual({ lastForUser: true });
    });

    it('reports each offline → online → offline transition again', async () => {
      for (let round = 0; round < 3; round++) {
        const c = conn();
        expect(await presence.addConnection(alice, c, nodeA)).toEqual({ firstForUser: true });
        expect(await presence.removeConnection(alice, c)).toEqual({ lastForUser: true });
      }
    });

    it('keeps users apart', async () => {
      await presence.addConnection(alice, conn(), nodeA);
      expect(await presence.addConnection(bob, conn(), nodeA)).toEqual({ firstForUser: true });
      expect(await presence.connectionCount(alice)).toBe(1);
      expect(await presence.connectionCount(bob)).toBe(1);
    });

    it('reports exactly one transition among concurrent adds and removes', async () => {
      const conns = Array.from({ length: 20 }, () => conn());
      const added = await Promise.all(conns.map((c, i) => presence.addConnection(alice, c, i % 2 === 0 ? nodeA : nodeB)));
      expect(added.filter((r) => r.firstForUser)).toHaveLength(1);
      expect(await presence.connectionCount(alice)).toBe(20);
      const removed = await Promise.all(conns.map((c) => presence.removeConnection(alice, c)));
      expect(removed.filter((r) => r.lastForUser)).toHaveLength(1);
      expect(await presence.isOnline(alice)).toBe(false);
    });

    it('closes idempotently', async () => {
      await presence.close();
      await presence.close();
      await Promise.all([presence.close(), presence.close()]);
      expect(presence.isReady()).toBe(false);
    });
  });
}
