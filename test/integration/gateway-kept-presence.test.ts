// A kept presence entry (contract §13) in the store is served by the master's fetch like a
// message: counted in leftMissingCount, sent as USER_CONNECTED / USER_DISCONNECTED, then DELIVERED.
import { describe, expect, it } from 'vitest';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { asMessageId, asUserId } from '../../src/core/ids.js';
import { gatewayScope } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

const scope = gatewayScope();

describe('kept presence entries', () => {
  it('come with the master user\'s fetch, latest transition per user, and are then delivered', async () => {
    const store = new MemoryMessageStore();
    const gw = await scope.start({}, { bus: new MemoryBus(), presence: new MemoryPresence(), store, lease: new MemoryLease() });
    const master = asUserId('demo-0');
    const presence = (id: string, userId: string, event: 'USER_CONNECTED' | 'USER_DISCONNECTED') =>
      ({ kind: 'presence' as const, id: asMessageId(id), to: master, userId: asUserId(userId), event, storedAt: Date.now() });
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
});
