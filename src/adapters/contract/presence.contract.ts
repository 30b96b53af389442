// The Presence conformance suite: written once, run by every presence adapter's test file with
// a factory for an isolated presence namespace that several nodes can share. Backend-neutral.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleEpochError } from '../../core/ports.js';
import type { ExpiredNode, Presence } from '../../core/ports.js';
import { asConnectionId, asNodeId, asUserId } from '../../core/ids.js';
import type { NodeId, UserId } from '../../core/ids.js';

/** One isolated presence namespace: every `node()` is a handle on the same shared state (one per gateway node). */
export interface PresenceCluster {
  node(): Presence | Promise<Presence>;
  /** Frees what the namespace holds, after every handle is closed. */
  cleanup?(): Promise<void>;
}

export interface PresenceContractOptions {
  /**
   * Node lease used by the expiry cases, in milliseconds (kept short so the suite stays fast).
   * @default 300
   */
  readonly ttlMs?: number;
}

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(seq++).toString(36)}`;
const conn = (): ReturnType<typeof asConnectionId> => asConnectionId(unique('conn'));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const LONG_TTL_MS = 60_000;

export function describePresenceContract(name: string, factory: () => PresenceCluster | Promise<PresenceCluster>, options: PresenceContractOptions = {}): void {
  const ttlMs = options.ttlMs ?? 300;

  describe(`Presence contract: ${name}`, () => {
    let cluster: PresenceCluster;
    let handles: Presence[];
    let p: Presence;
    let q: Presence;
    let alice: UserId;
    let bob: UserId;
    let nodeA: NodeId;
    let nodeB: NodeId;
    let epochA: number;
    let epochB: number;

    const handle = async (): Promise<Presence> => {
      const presence = await cluster.node();
      await presence.start();
      handles.push(presence);
      return presence;
    };

    beforeEach(async () => {
      cluster = await factory();
      handles = [];
      p = await handle();
      q = await handle();
      alice = asUserId(unique('demo-alice'));
      bob = asUserId(unique('demo-bob'));
      nodeA = asNodeId(unique('node-a'));
      nodeB = asNodeId(unique('node-b'));
      epochA = await p.registerNode(nodeA, LONG_TTL_MS);
      epochB = await q.registerNode(nodeB, LONG_TTL_MS);
    });

    afterEach(async () => {
      await Promise.all(handles.map((h) => h.close()));
      await cluster.cleanup?.();
    });

    it('is ready after start and not after close', async () => {
      expect(p.isReady()).toBe(true);
      await p.close();
      expect(p.isReady()).toBe(false);
    });

    it('reports an unknown user with no connections', async () => {
      expect(await p.connectionCount(alice)).toBe(0);
    });

    it('reports firstForUser only for the first connection, across nodes', async () => {
      expect(await p.addConnection(alice, conn(), nodeA, epochA)).toMatchObject({ firstForUser: true });
      expect(await p.addConnection(alice, conn(), nodeA, epochA)).toMatchObject({ firstForUser: false });
      expect(await q.addConnection(alice, conn(), nodeB, epochB)).toMatchObject({ firstForUser: false });
      expect(await q.connectionCount(alice)).toBe(3);
    });

    it('reports lastForUser only for the last connection, across nodes', async () => {
      const [c1, c2] = [conn(), conn()];
      await p.addConnection(alice, c1, nodeA, epochA);
      await q.addConnection(alice, c2, nodeB, epochB);
      expect(await p.removeConnection(alice, c1)).toMatchObject({ lastForUser: false });
      expect(await p.connectionCount(alice)).toBe(1);
      expect(await q.removeConnection(alice, c2)).toMatchObject({ lastForUser: true });
      expect(await p.connectionCount(alice)).toBe(0);
    });

    it('reports lastForUser false for unknown or already removed connections', async () => {
      const c1 = conn();
      expect(await p.removeConnection(alice, c1)).toMatchObject({ lastForUser: false });
      await p.addConnection(alice, c1, nodeA, epochA);
      expect(await p.removeConnection(alice, conn())).toMatchObject({ lastForUser: false });
      expect(await p.removeConnection(bob, c1)).toMatchObject({ lastForUser: false });
      expect(await p.removeConnection(alice, c1)).toMatchObject({ lastForUser: true });
      expect(await p.removeConnection(alice, c1)).toMatchObject({ lastForUser: false });
    });

    it('counts a connection added twice once', async () => {
      const c1 = conn();
      expect(await p.addConnection(alice, c1, nodeA, epochA)).toMatchObject({ firstForUser: true });
      expect(await p.addConnection(alice, c1, nodeA, epochA)).toMatchObject({ firstForUser: false });
      expect(await p.connectionCount(alice)).toBe(1);
      expect(await p.removeConnection(alice, c1)).toMatchObject({ lastForUser: true });
    });

    it('reports each offline → online → offline transition again, and keeps users apart', async () => {
      for (let round = 0; round < 3; round++) {
        const c = conn();
        expect(await p.addConnection(alice, c, nodeA, epochA)).toMatchObject({ firstForUser: true });
        expect(await p.removeConnection(alice, c)).toMatchObject({ lastForUser: true });
      }
      await p.addConnection(alice, conn(), nodeA, epochA);
      expect(await p.addConnection(bob, conn(), nodeA, epochA)).toMatchObject({ firstForUser: true });
      expect(await p.connectionCount(alice)).toBe(1);
      expect(await p.connectionCount(bob)).toBe(1);
    });

    it('reports exactly one transition among concurrent adds and removes on two nodes', async () => {
      const conns = Array.from({ length: 20 }, () => conn());
      const added = await Promise.all(conns.map((c, i) => (i % 2 === 0 ? p.addConnection(alice, c, nodeA, epochA) : q.addConnection(alice, c, nodeB, epochB))));
      expect(added.filter((r) => r.firstForUser)).toHaveLength(1);
      expect(await p.connectionCount(alice)).toBe(20);
      const removed = await Promise.all(conns.map((c, i) => (i % 2 === 0 ? p : q).removeConnection(alice, c)));
      expect(removed.filter((r) => r.lastForUser)).toHaveLength(1);
      expect(await p.connectionCount(alice)).toBe(0);
    });

    it('reports first and last exactly once per transition while two devices flap between two nodes 50 times', async () => {
      let online = 0;
      let firsts = 0;
      let lasts = 0;
      const device = async (presence: Presence, node: NodeId, epoch: number): Promise<void> => {
        for (let i = 0; i < 50; i++) {
          const c = conn();
          if ((await presence.addConnection(alice, c, node, epoch)).firstForUser) firsts++;
          online++;
          if ((await presence.removeConnection(alice, c)).lastForUser) lasts++;
          online--;
        }
      };
      await Promise.all([device(p, nodeA, epochA), device(q, nodeB, epochB)]);
      expect(online).toBe(0);
      expect(firsts).toBeGreaterThanOrEqual(50);
      expect(lasts).toBe(firsts);
      expect(await p.connectionCount(alice)).toBe(0);
    });

    it('gives each transition of a user the next generation, and none to steps that are no transition', async () => {
      expect(await p.userPresence(alice)).toEqual({ connections: 0, generation: 0 });
      const [c1, c2] = [conn(), conn()];
      const online = await p.addConnection(alice, c1, nodeA, epochA);
      expect(online.firstForUser).toBe(true);
      expect(online.generation).toBeGreaterThan(0);
      expect(await q.addConnection(alice, c2, nodeB, epochB)).toEqual({ firstForUser: false, generation: online.generation });
      expect(await p.userPresence(alice)).toEqual({ connections: 2, generation: online.generation });
      expect(await p.removeConnection(alice, c1)).toEqual({ lastForUser: false, generation: online.generation });
      expect(await q.removeConnection(alice, c2)).toEqual({ lastForUser: true, generation: online.generation + 1 });
      expect(await p.removeConnection(alice, c2)).toEqual({ lastForUser: false, generation: online.generation + 1 });
      expect(await q.userPresence(alice)).toEqual({ connections: 0, generation: online.generation + 1 });
      expect((await p.addConnection(alice, conn(), nodeA, epochA)).generation).toBe(online.generation + 2);
      await q.addConnection(bob, conn(), nodeB, epochB); // users apart: bob's transition does not move alice's generation
      expect((await p.userPresence(alice)).generation).toBe(online.generation + 2);
    });

    it('numbers the transitions of concurrent flapping on two nodes 1, 2, 3, … with no gap or repeat, in the order of the state they leave', async () => {
      const seen: { generation: number; online: boolean }[] = [];
      const device = async (presence: Presence, node: NodeId, epoch: number): Promise<void> => {
        for (let i = 0; i < 30; i++) {
          const c = conn();
          const added = await presence.addConnection(alice, c, node, epoch);
          if (added.firstForUser) seen.push({ generation: added.generation, online: true });
          const removed = await presence.removeConnection(alice, c);
          if (removed.lastForUser) seen.push({ generation: removed.generation, online: false });
        }
      };
      await Promise.all([device(p, nodeA, epochA), device(q, nodeB, epochB)]);
      const start = seen.sort((x, y) => x.generation - y.generation)[0]!.generation;
      seen.forEach((s, i) => {
        expect(s.generation).toBe(start + i);
        // In generation order the transitions alternate, starting online: the store's real sequence.
        expect(s.online).toBe(i % 2 === 0);
      });
      expect(seen.at(-1)!.online).toBe(false);
      expect((await p.userPresence(alice)).generation).toBe(seen.at(-1)!.generation);
    });

    it('gives the reaper’s offline users the generation of that transition', async () => {
      const nodeC = asNodeId(unique('node-c'));
      const epochC = await p.registerNode(nodeC, ttlMs);
      const { generation } = await p.addConnection(alice, conn(), nodeC, epochC);
      await sleep(ttlMs + 50);
      const expired = (await q.expireNodes(Date.now())).filter((e) => e.nodeId === nodeC);
      expect(expired).toEqual([{ nodeId: nodeC, offline: [{ userId: alice, generation: generation + 1 }] }]);
      expect((await p.addConnection(alice, conn(), nodeA, epochA)).generation).toBe(generation + 2);
      expect(await p.deregisterNode(nodeA, epochA)).toEqual([{ userId: alice, generation: generation + 3 }]);
    });

    it('gives growing epochs: re-registration bumps the epoch and refuses writes of the old one', async () => {
      const again = await p.registerNode(nodeA, LONG_TTL_MS);
      expect(again).toBeGreaterThan(epochA);
      await expect(p.addConnection(alice, conn(), nodeA, epochA)).rejects.toBeInstanceOf(StaleEpochError);
      await expect(p.refreshNode(nodeA, epochA, LONG_TTL_MS)).rejects.toBeInstanceOf(StaleEpochError);
      await expect(p.addConnection(alice, conn(), asNodeId(unique('never-registered')), 1)).rejects.toBeInstanceOf(StaleEpochError);
      expect(await p.addConnection(alice, conn(), nodeA, again)).toMatchObject({ firstForUser: true });
      await p.refreshNode(nodeA, again, LONG_TTL_MS);
    });

    it('removes the connections of a replaced epoch and reports them on the next expiry', async () => {
      await p.addConnection(alice, conn(), nodeA, epochA);
      await q.addConnection(bob, conn(), nodeA, epochA);
      await q.addConnection(bob, conn(), nodeB, epochB);
      const again = await p.registerNode(nodeA, LONG_TTL_MS);
      const expired = await p.expireNodes(Date.now());
      expect(expired).toEqual([{ nodeId: nodeA, offline: [{ userId: alice, generation: expect.any(Number) }] }]);
      expect(await p.connectionCount(alice)).toBe(0);
      expect(await p.connectionCount(bob)).toBe(1);
      expect(await p.expireNodes(Date.now())).toEqual([]);
      expect(await p.addConnection(alice, conn(), nodeA, again)).toMatchObject({ firstForUser: true });
    });

    it('expires a node that stops refreshing and reports its offline users to one of two concurrent reapers', async () => {
      const nodeC = asNodeId(unique('node-c'));
      const epochC = await p.registerNode(nodeC, ttlMs);
      await p.addConnection(alice, conn(), nodeC, epochC);
      await p.addConnection(bob, conn(), nodeC, epochC);
      await q.addConnection(bob, conn(), nodeB, epochB);
      expect(await p.expireNodes(Date.now())).toEqual([]);
      await sleep(ttlMs + 50);
      const [one, two] = await Promise.all([p.expireNodes(Date.now()), q.expireNodes(Date.now())]);
      const all: ExpiredNode[] = [...one, ...two];
      expect(all).toEqual([{ nodeId: nodeC, offline: [{ userId: alice, generation: expect.any(Number) }] }]);
      expect(one.length + two.length).toBe(1);
      expect(await p.expireNodes(Date.now())).toEqual([]);
      expect(await p.connectionCount(alice)).toBe(0);
      expect(await p.connectionCount(bob)).toBe(1);
      await expect(p.refreshNode(nodeC, epochC, ttlMs)).rejects.toBeInstanceOf(StaleEpochError);
      await expect(p.addConnection(alice, conn(), nodeC, epochC)).rejects.toBeInstanceOf(StaleEpochError);
    });

    it('keeps a refreshed node alive past its first lease', async () => {
      const nodeC = asNodeId(unique('node-c'));
      const epochC = await p.registerNode(nodeC, ttlMs);
      await p.addConnection(alice, conn(), nodeC, epochC);
      for (let i = 0; i < 3; i++) {
        await sleep(ttlMs / 2);
        await p.refreshNode(nodeC, epochC, ttlMs);
      }
      expect(await q.expireNodes(Date.now())).toEqual([]);
      expect(await p.connectionCount(alice)).toBe(1);
    });

    it('reports a user exactly once when a dead node is reaped while the user reconnects elsewhere', async () => {
      const nodeC = asNodeId(unique('node-c'));
      const epochC = await p.registerNode(nodeC, ttlMs);
      const users = Array.from({ length: 20 }, () => asUserId(unique('demo-flap')));
      for (const u of users) await p.addConnection(u, conn(), nodeC, epochC);
      await sleep(ttlMs + 50);
      const [reaped, ...added] = await Promise.all([p.expireNodes(Date.now()), ...users.map((u) => q.addConnection(u, conn(), nodeB, epochB))]);
      const offline = new Set((reaped ?? []).flatMap((e) => e.offline.map((o) => o.userId)));
      users.forEach((u, i) => {
        // Reaped first: offline then first again. Added first: neither.
        expect(offline.has(u)).toBe(added[i]?.firstForUser);
      });
      for (const u of users) expect(await p.connectionCount(u)).toBe(1);
    });

    it('lists live nodes with their connections, and forgets a deregistered node, returning its offline users', async () => {
      await p.addConnection(alice, conn(), nodeA, epochA);
      await p.addConnection(alice, conn(), nodeA, epochA);
      await q.addConnection(bob, conn(), nodeA, epochA);
      await q.addConnection(bob, conn(), nodeB, epochB);
      const before = Date.now();
      const nodes = (await p.nodes()).filter((n) => n.nodeId === nodeA || n.nodeId === nodeB);
      expect(nodes.map((n) => [n.nodeId, n.connections]).sort()).toEqual([[nodeA, 3], [nodeB, 1]].sort());
      for (const n of nodes) expect(n.expiresAt).toBeGreaterThan(before);
      expect((await p.deregisterNode(nodeA, epochA)).map((o) => o.userId)).toEqual([alice]);
      expect((await q.nodes()).map((n) => n.nodeId)).not.toContain(nodeA);
      expect(await p.connectionCount(bob)).toBe(1);
      await expect(p.deregisterNode(nodeA, epochA)).rejects.toBeInstanceOf(StaleEpochError);
      expect(await p.expireNodes(Date.now())).toEqual([]);
    });

    it('closes idempotently', async () => {
      await p.close();
      await p.close();
      await Promise.all([p.close(), p.close()]);
      expect(p.isReady()).toBe(false);
    });
  });
}
