import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import type { ConnectionId, NodeId, UserId } from '../../src/core/ids.js';
import { gatewayScope, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

/** Presence whose next addConnection fails, as a cluster backend might. */
class FlakyPresence extends MemoryPresence {
  failNext = false;
  override addConnection(userId: UserId, connectionId: ConnectionId, nodeId: NodeId, epoch: number): ReturnType<MemoryPresence['addConnection']> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('presence down'));
    }
    return super.addConnection(userId, connectionId, nodeId, epoch);
  }
}

const scope = gatewayScope();
const clients = scope.clients;
let gw: TestGateway | undefined;

describe('a backend failing while a user is admitted', () => {
  it('answers isAuthenticated false, delivers nothing to that connection, and lets it try again', async () => {
    const presence = new FlakyPresence();
    gw = await scope.start({}, { bus: new MemoryBus(), presence, store: new MemoryMessageStore(), lease: new MemoryLease() });
    const victim = await TestClient.connect(gw.url);
    clients.push(victim);
    presence.failNext = true;
    expect((await victim.auth('demo-2')).data.isAuthenticated).toBe(false);
    const sender = await TestClient.connect(gw.url);
    clients.push(sender);
    await sender.auth('demo-1');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'not for you yet' }, feature: 'FAST' });
    expect(await victim.none('MESSAGE', 200)).toBe(true);
    expect((await victim.auth('demo-2')).data.isAuthenticated).toBe(true);
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'now' }, feature: 'FAST' });
    expect((await victim.next('MESSAGE')).data.content).toBe('now');
  });
});
