// A kept presence entry (contract §13) in the store is served by the master's fetch like a
// message: counted in leftMissingCount, sent as USER_CONNECTED / USER_DISCONNECTED, then DELIVERED.
// One that no longer matches the user's state in presence (the newer transition reached the master
// live) is stale: marked DELIVERED without being sent.
import { describe, expect, it } from 'vitest';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { asConnectionId, asMessageId, asNodeId, asUserId } from '../../src/core/ids.js';
import { gatewayScope } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

const scope = gatewayScope();

describe('kept presence entries', () => {
  it('come with the master user\'s fetch, latest transition per user, and are then delivered', async () => {
    const store = new MemoryMessageStore();
    const users = new MemoryPresence();
    const gw = await scope.start({}, { bus: new MemoryBus(), presence: users, store, lease: new MemoryLease() });
    const master = asUserId('demo-0');
    const presence = (id: string, userId: string, event: 'USER_CONNECTED' | 'USER_DISCONNECTED') =>
      ({ kind: 'presence' as const, id: asMessageId(id), to: master, userId: asUserId(userId), event, storedAt: Date.now() });
    // demo-6 is online (on another node), as its kept USER_CONNECTED says; demo-5 is offline.
    await users.addConnection(asUserId('demo-6'), asConnectionId('elsewhere'), asNodeId('other'), await users.registerNode(asNodeId('other'), 60_000));
    await store.append([presence('p1', 'demo-5', 'USER_CONNECTED'), presence('p2', 'demo-6', 'USER_CONNECTED')]);
    await store.append([presence('p3', 'demo-5', 'USER_DISCONNECTED')]);
    const c = await TestClient.connect(gw.url);
    scope.clients.push(c);
    expect((await c.auth('demo-0', 'demo')).data.isAuthenticated).toBe(true);
    c.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 1 } });
    expect(await c.next('USER_CONNECTED')).toMatchObject({ data: { userId: 'demo-6' } });
    expect((await c.next('FETCH_MISSING_MESSAGES_COMPLETE')).data).toEqual({ leftMissingCount: 1 });
    c.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 10 } });
    expect(await c.next('USER_DISCONNECTED')).toMatchObject({ data: { userId: 'demo-5' } });
    expect((await c.next('FETCH_MISSING_MESSAGES_COMPLETE')).data).toEqual({ leftMissingCount: 0 });
    const t0 = Date.now();
    while ((await store.status(master, asMessageId('p3'))) !== 'DELIVERED') {
      expect(Date.now() - t0).toBeLessThan(5_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('are not sent when stale: the user\'s state moved on and the master heard it live', async () => {
    const store = new MemoryMessageStore();
    const gw = await scope.start({}, { bus: new MemoryBus(), presence: new MemoryPresence(), store, lease: new MemoryLease() });
    const master = asUserId('demo-0');
    // Kept while the master was away: demo-7 left.
    await store.append([{ kind: 'presence', id: asMessageId('k1'), to: master, userId: asUserId('demo-7'), event: 'USER_DISCONNECTED', storedAt: Date.now() }]);
    const m = await TestClient.connect(gw.url);
    scope.clients.push(m);
    expect((await m.auth('demo-0', 'demo')).data.isAuthenticated).toBe(true);
    // The master is back, and demo-7 comes back before the master fetches: heard live.
    const u = await TestClient.connect(gw.url);
    scope.clients.push(u);
    expect((await u.auth('demo-7', 'demo')).data.isAuthenticated).toBe(true);
    expect(await m.next('USER_CONNECTED')).toMatchObject({ data: { userId: 'demo-7' } });
    m.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 10 } });
    expect((await m.next('FETCH_MISSING_MESSAGES_COMPLETE')).data).toEqual({ leftMissingCount: 0 });
    expect(m.frames.filter((f) => f.type === 'USER_DISCONNECTED')).toEqual([]);
    const t0 = Date.now();
    while ((await store.status(master, asMessageId('k1'))) !== 'DELIVERED') {
      expect(Date.now() - t0).toBeLessThan(5_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
