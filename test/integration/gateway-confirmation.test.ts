// MESSAGE_CONFIRMATION to a sender connected to this node: written straight to its connections and
// stored only when none of them proves receipt; the message is marked DELIVERED only after that.
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/memory/memory-bus.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { asMessageId, asUserId } from '../../src/core/ids.js';
import type { EntryStatus, StoredEntry } from '../../src/core/ports.js';
import { gatewayScope, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

/** A memory store that counts the confirmations appended to it. */
class CountingStore extends MemoryMessageStore {
  confirmations = 0;
  override append(entries: readonly StoredEntry[]): Promise<void> {
    for (const e of entries) if (e.kind === 'confirmation') this.confirmations++;
    return super.append(entries);
  }
}

const scope = gatewayScope();
const clients = scope.clients;
let gw: TestGateway | undefined;
let other: TestGateway | undefined;

async function start(): Promise<CountingStore> {
  const store = new CountingStore();
  gw = await scope.start({ rateLimit: 0 }, { bus: new MemoryBus(), presence: new MemoryPresence(), store, lease: new MemoryLease() });
  return store;
}

async function connect(userId: string, options?: { autoPong: boolean }, url = gw!.url): Promise<TestClient> {
  const client = new TestClient(new WebSocket(url, options));
  clients.push(client);
  await client.opened;
  await client.auth(userId);
  return client;
}

/** The entry's status once it stops changing for `settleMs` (or at `timeoutMs`). */
async function statusOf(store: MemoryMessageStore, to: string, id: string, want: EntryStatus, timeoutMs = 2_000): Promise<EntryStatus | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await store.status(asUserId(to), asMessageId(id));
    if (status === want || Date.now() > until) return status;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('confirmations to a sender connected here', () => {
  it('reach the sender without being stored, and the message is DELIVERED once the sender proved receipt', async () => {
    const store = await start();
    const sender = await connect('demo-1');
    const receiver = await connect('demo-2');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: { n: 1 } }, reference: 'r1' });
    const message = await receiver.next('MESSAGE');
    expect((await sender.next('MESSAGE_CONFIRMATION')).data).toEqual({ reference: 'r1' });
    expect(await statusOf(store, 'demo-2', message.data.id as string, 'DELIVERED')).toBe('DELIVERED');
    expect(store.confirmations).toBe(0);
    // Nothing waits for the sender's next fetch.
    expect((await sender.fetchAll()).filter((f) => f.type === 'MESSAGE_CONFIRMATION')).toEqual([]);
  });

  it('are stored when the sender does not prove receipt, and come with its next fetch; the message waits for that', async () => {
    const store = await start();
    // A sender whose WebSocket stack does not answer pings: what it is written is never proven.
    const sender = await connect('demo-1', { autoPong: false });
    const receiver = await connect('demo-2');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: { n: 2 } }, reference: 'r2' });
    const message = await receiver.next('MESSAGE');
    const id = message.data.id as string;
    expect((await sender.next('MESSAGE_CONFIRMATION')).data).toEqual({ reference: 'r2' });
    // Received by the receiver, but its confirmation is neither proven nor stored yet: not DELIVERED.
    expect(await statusOf(store, 'demo-2', id, 'DELIVERED', 300)).not.toBe('DELIVERED');
    expect(store.confirmations).toBe(0);
    sender.ws.terminate();
    expect(await statusOf(store, 'demo-2', id, 'DELIVERED')).toBe('DELIVERED');
    expect(store.confirmations).toBe(1);
    const back = await connect('demo-1');
    const fetched = await back.fetchAll();
    expect(fetched.filter((f) => f.type === 'MESSAGE_CONFIRMATION').map((f) => f.data)).toEqual([{ reference: 'r2' }]);
  });
});

describe('two nodes on one bus network (the bus is not isolated)', () => {
  it('route through the bus: FAST, RELIABLE, presence, and a confirmation stored before it is published', async () => {
    const network = new MemoryBusNetwork();
    const presence = new MemoryPresence();
    const lease = new MemoryLease();
    const store = new CountingStore();
    gw = await scope.start({ rateLimit: 0 }, { bus: new MemoryBus({ network }), presence, store, lease });
    other = await scope.start({ rateLimit: 0 }, { bus: new MemoryBus({ network }), presence, store, lease });
    const master = await connect('demo-0');
    const sender = await connect('demo-1');
    const receiver = await connect('demo-2', undefined, other.url);
    expect((await master.next('USER_CONNECTED')).data).toEqual({ userId: 'demo-1' });
    expect((await master.next('USER_CONNECTED')).data).toEqual({ userId: 'demo-2' });
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'fast' }, feature: 'FAST' });
    expect((await receiver.next('MESSAGE')).data.content).toBe('fast');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'reliable' }, reference: 'x1' });
    expect((await sender.next('MESSAGE_ACCEPTED')).data.reference).toBe('x1');
    const message = await receiver.next('MESSAGE');
    expect(message.data).toMatchObject({ from: 'demo-1', content: 'reliable' });
    expect((await sender.next('MESSAGE_CONFIRMATION')).data).toEqual({ reference: 'x1' });
    // The sender's connections could be on any node: its confirmation went through the store.
    expect(store.confirmations).toBe(1);
    expect(await statusOf(store, 'demo-2', message.data.id as string, 'DELIVERED')).toBe('DELIVERED');
  });
});
