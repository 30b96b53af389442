import { describe, expect, it } from 'vitest';
import { MemoryMessageStore } from '../adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../adapters/memory/memory-presence.js';
import { Background } from './background.js';
import type { ClientApp } from './client-apps.js';
import type { Publisher } from './delivery/publisher.js';
import { asAppId, asConnectionId, asNodeId, asUserId } from './ids.js';
import { KeptPresence } from './kept-presence.js';
import { noopMetrics, silentLogger, type Delivery, type Scheduler, type StoredEntry } from './ports.js';
import { PresenceEvents } from './presence-events.js';

const master = asUserId('demo-0');
const alice = asUserId('demo-1');
const app = { appName: 'demo', appId: asAppId('demo'), masterUserId: master } as ClientApp;

/** Two nodes' PresenceEvents on one presence and one store; appends may be held back to force an order. */
function twoNodes() {
  const presence = new MemoryPresence();
  const store = new MemoryMessageStore();
  const background = new Background(silentLogger, noopMetrics);
  const published: Delivery[] = [];
  const publisher: Publisher = {
    isolated: false,
    publish: (_channel, delivery) => void published.push(delivery),
    publishHanded: (_channel, delivery) => (published.push(delivery), Promise.resolve()),
    deliverHere: () => undefined,
    intercept: () => undefined,
  };
  let seq = 0;
  const gates: (() => void)[] = [];
  let holdAppends = false;
  // Each node's kept entries are appended on the next timer turn (no batching window): the test orders the appends.
  const scheduler: Scheduler = {
    after: (ms, fn) => {
      const timer = setTimeout(fn, ms);
      return () => clearTimeout(timer);
    },
  };
  const append = async (entries: readonly StoredEntry[]): Promise<void> => {
    // A held append waits for release(): the network between a node and the store is slow.
    if (holdAppends) await new Promise<void>((resolve) => gates.push(resolve));
    await store.append(entries);
  };
  const node = (name: string): PresenceEvents =>
    new PresenceEvents({ nodeId: asNodeId(name), publisher, presence, kept: new KeptPresence({ append, scheduler, windowMs: 0 }), nextId: () => `${name}-${seq++}`, clock: Date.now, background });
  return {
    presence,
    store,
    background,
    published,
    a: node('a'),
    b: node('b'),
    holdAppends: (on: boolean) => (holdAppends = on),
    release: () => gates.shift()?.(),
    settle: () => background.settle(() => undefined),
  };
}

describe('PresenceEvents', () => {
  it('publishes each event with its user and generation', async () => {
    const t = twoNodes();
    const node = asNodeId('a');
    const epoch = await t.presence.registerNode(node, 60_000);
    // The master is online: nothing is kept.
    await t.presence.addConnection(master, asConnectionId('m'), node, epoch);
    const { generation } = await t.presence.addConnection(alice, asConnectionId('c1'), node, epoch);
    t.a.report(app, 'USER_CONNECTED', alice, generation);
    await t.settle();
    expect(t.published).toEqual([expect.objectContaining({ kind: 'presence', to: master, userId: alice, generation })]);
    expect((await t.store.pending(master, 10)).entries).toEqual([]);
  });

  it('keeps the latest state for an away master when a stale entry is appended after the newer one', async () => {
    const t = twoNodes();
    const node = asNodeId('a');
    const epoch = await t.presence.registerNode(node, 60_000);
    const g1 = (await t.presence.addConnection(alice, asConnectionId('c1'), node, epoch)).generation;
    const g2 = (await t.presence.removeConnection(alice, asConnectionId('c1'))).generation;
    const g3 = (await t.presence.addConnection(alice, asConnectionId('c2'), node, epoch)).generation;
    expect([g2, g3]).toEqual([g1 + 1, g1 + 2]);
    // Node a's USER_DISCONNECTED (g2) reaches the store only after node b's USER_CONNECTED (g3).
    t.holdAppends(true);
    t.a.report(app, 'USER_DISCONNECTED', alice, g2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    t.holdAppends(false);
    t.b.report(app, 'USER_CONNECTED', alice, g3);
    await new Promise((resolve) => setTimeout(resolve, 10));
    t.release();
    await t.settle();
    const kept = (await t.store.pending(master, 10)).entries;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ kind: 'presence', userId: alice, event: 'USER_CONNECTED' });
  });
});
