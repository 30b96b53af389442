// Topics and the bus: a node subscribes to a topic's channel on its first local subscriber and
// leaves it after the last; a bus that refuses a publication turns into 503 UNAVAILABLE, and a
// SUBSCRIBE that cannot reach the bus into ERROR UNAVAILABLE.
import { describe, expect, it } from 'vitest';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/memory/memory-bus.js';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { BackendError, type Channel, type Delivery } from '../../src/core/ports.js';
import { gatewayScope } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';
import { API_KEY, api, topicApps } from '../support/topics-config.js';

class SpyBus extends MemoryBus {
  readonly calls: string[] = [];
  failing = false;
  override subscribe(channel: Channel): Promise<void> {
    if (channel.startsWith('t:')) this.calls.push(`sub ${channel}`);
    if (this.failing && channel.startsWith('t:')) return Promise.reject(new BackendError('memory', 'bus down'));
    return super.subscribe(channel);
  }
  override unsubscribe(channel: Channel): Promise<void> {
    if (channel.startsWith('t:')) this.calls.push(`unsub ${channel}`);
    return super.unsubscribe(channel);
  }
  override publish(channel: Channel, delivery: Delivery): Promise<void> {
    if (this.failing) return Promise.reject(new BackendError('memory', 'bus down'));
    return super.publish(channel, delivery);
  }
}

const scope = gatewayScope();

async function twoNodes() {
  const network = new MemoryBusNetwork();
  const shared = { presence: new MemoryPresence(), lease: new MemoryLease(), store: new MemoryMessageStore() };
  const busA = new SpyBus({ network });
  const busB = new SpyBus({ network });
  const a = await scope.start({ nodeId: 'node-a', clientApps: topicApps() as never }, { bus: busA, ...shared });
  const b = await scope.start({ nodeId: 'node-b', clientApps: topicApps() as never }, { bus: busB, ...shared });
  return { a, b, busA, busB };
}

async function client(url: string, userId: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  scope.clients.push(c);
  expect((await c.auth(userId, 'app-alpha')).data.isAuthenticated).toBe(true);
  return c;
}

describe('topics and the bus', () => {
  it('subscribes a node to the topic channel on its first local subscriber and leaves it after the last', async () => {
    const { a, b, busB } = await twoNodes();
    const c1 = await client(b.url, 'alpha-1');
    const c2 = await client(b.url, 'alpha-2');
    for (const c of [c1, c2]) {
      c.send({ type: 'SUBSCRIBE', data: { topic: 'room/1' } });
      await c.next('SUBSCRIBED');
    }
    expect(busB.calls).toEqual(['sub t:app-alpha:room/1']);
    expect((await api(a.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'room/1', data: 'x' } })).status).toBe(200);
    for (const c of [c1, c2]) expect((await c.next('PUBLICATION')).data.data).toBe('x');
    c1.send({ type: 'UNSUBSCRIBE', data: { topic: 'room/1' } });
    await c1.next('UNSUBSCRIBED');
    expect(busB.calls).toEqual(['sub t:app-alpha:room/1']);
    await c2.close();
    await expect.poll(() => busB.calls).toEqual(['sub t:app-alpha:room/1', 'unsub t:app-alpha:room/1']);
  });

  it('answers 503 when the bus refuses a publication, and ERROR UNAVAILABLE when a subscription cannot be made', async () => {
    const { a, busA } = await twoNodes();
    const c = await client(a.url, 'alpha-1');
    busA.failing = true;
    c.send({ type: 'SUBSCRIBE', data: { topic: 'room/2' }, reference: 'r' });
    expect(await c.next('ERROR')).toMatchObject({ data: { code: 'UNAVAILABLE' }, reference: 'r' });
    expect(a.gateway.topics.subscriberCount('app-alpha', 'room/2')).toBe(0);
    expect(await api(a.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'room/2', data: 1 } })).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    busA.failing = false;
    c.send({ type: 'SUBSCRIBE', data: { topic: 'room/2' } });
    await c.next('SUBSCRIBED');
  });
});
