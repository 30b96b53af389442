// RELIABLE messages without a reference to a recipient connected here: written at once and held
// unstored for --reliable-hold-ms; stored only when not proven received in that time, and then in
// send order, before a fetch, and on shutdown.
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import type { StoredEntry } from '../../src/core/ports.js';
import type { ServeConfig } from '../../src/config/options.js';
import { gatewayScope, type TestGateway } from '../support/gateway.js';
import { TestClient, type Frame } from '../support/test-client.js';

/** A memory store that records the messages appended to it, in order. */
class RecordingStore extends MemoryMessageStore {
  readonly appended: string[] = [];
  /** Set: every append rejects (a full disk). */
  failing = false;
  override append(entries: readonly StoredEntry[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk full'));
    for (const e of entries) if (e.kind === 'message') this.appended.push(JSON.parse(e.contentJson) as string);
    return super.append(entries);
  }
}

const scope = gatewayScope();
const clients = scope.clients;
let gw: TestGateway | undefined;

async function start(overrides: Partial<ServeConfig> = {}): Promise<RecordingStore> {
  const store = new RecordingStore();
  gw = await scope.start({ rateLimit: 0, ...overrides }, { bus: new MemoryBus(), presence: new MemoryPresence(), store, lease: new MemoryLease() });
  return store;
}

async function connect(userId: string, options?: { autoPong: boolean }): Promise<TestClient> {
  const client = new TestClient(new WebSocket(gw!.url, options));
  clients.push(client);
  await client.opened;
  await client.auth(userId);
  return client;
}

/**
 * A gateway holding for `holdMs`, a sender demo-1, and a recipient demo-2 whose WebSocket stack
 * answers no pings (nothing written to it is ever proven), after `first` was sent and received.
 */
async function deafRecipient(holdMs: number, first: string): Promise<{ store: RecordingStore; sender: TestClient; deaf: TestClient }> {
  const store = await start({ reliableHoldMs: holdMs });
  const sender = await connect('demo-1');
  const deaf = await connect('demo-2', { autoPong: false });
  sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: first } });
  expect((await deaf.next('MESSAGE')).data.content).toBe(first);
  return { store, sender, deaf };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const contents = (frames: Frame[]): unknown[] => frames.filter((f) => f.type === 'MESSAGE').map((f) => f.data.content);

describe('RELIABLE without a reference to a recipient connected here', () => {
  it('is delivered at once and never stored when the recipient proves receipt within the hold', async () => {
    const store = await start({ reliableHoldMs: 200 });
    const sender = await connect('demo-1');
    const receiver = await connect('demo-2');
    for (let n = 0; n < 20; n++) sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: `m${n}` } });
    for (let n = 0; n < 20; n++) expect((await receiver.next('MESSAGE')).data.content).toBe(`m${n}`);
    await sleep(400);
    expect(store.appended).toEqual([]);
    expect(contents(await receiver.fetchAll())).toEqual([]);
  });

  it('is stored once the hold passes unproven, and the recipient fetches it later', async () => {
    const { store, deaf } = await deafRecipient(50, 'unproven');
    await sleep(300);
    expect(store.appended).toEqual(['unproven']);
    deaf.ws.terminate();
    const back = await connect('demo-2');
    expect(contents(await back.fetchAll())).toEqual(['unproven']);
  });

  it('is stored before a later message to the same recipient, so a fetch keeps send order', async () => {
    const { store, sender, deaf } = await deafRecipient(60_000, 'first');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'second' }, reference: 'r2' });
    sender.send({ type: 'GROUP_MESSAGE', data: { to: ['demo-2'], content: 'third' } });
    expect((await sender.next('MESSAGE_ACCEPTED')).data.reference).toBe('r2');
    expect(contents([await deaf.next('MESSAGE'), await deaf.next('MESSAGE')])).toEqual(['second', 'third']);
    // 'first' went into the referenced message's commit, ahead of it; the group copy is held.
    expect(store.appended).toEqual(['first', 'second']);
    deaf.ws.terminate();
    const back = await connect('demo-2');
    expect(contents(await back.fetchAll())).toEqual(['first', 'second', 'third']);
    expect(store.appended).toEqual(['first', 'second', 'third']);
  });

  it('holds the copies of a GROUP_MESSAGE to members connected here, and stores those to offline members at once', async () => {
    const { store, sender, deaf } = await deafRecipient(100, 'warm-up');
    const proving = await connect('demo-3');
    sender.send({ type: 'GROUP_MESSAGE', data: { to: ['demo-2', 'demo-3', 'demo-4'], content: 'to all' } });
    expect((await deaf.next('MESSAGE')).data.content).toBe('to all');
    expect((await proving.next('MESSAGE')).data.content).toBe('to all');
    expect(store.appended).toEqual(['to all']); // demo-4's copy: offline
    await sleep(400);
    // demo-2 never proved receipt: its two messages were stored after the hold; demo-3's copy never was.
    expect(store.appended).toEqual(['to all', 'warm-up', 'to all']);
    expect(contents(await proving.fetchAll())).toEqual([]);
    const offline = await connect('demo-4');
    expect(contents(await offline.fetchAll())).toEqual(['to all']);
  });

  it('is stored before the recipient fetches, so a reconnect within the hold finds it', async () => {
    const { store, deaf } = await deafRecipient(60_000, 'held');
    deaf.ws.terminate();
    await sleep(50);
    expect(store.appended).toEqual([]);
    const back = await connect('demo-2');
    expect(contents(await back.fetchAll())).toEqual(['held']);
  });

  it('answers its sender with ERROR INTERNAL when storing it after the hold fails', async () => {
    const { store, sender } = await deafRecipient(50, 'doomed');
    store.failing = true;
    const error = await sender.next('ERROR');
    expect(error.data.code).toBe('INTERNAL');
    expect(store.appended).toEqual([]);
  });

  it('is stored on shutdown when still unproven', async () => {
    const { store } = await deafRecipient(60_000, 'at stop');
    await gw!.stop();
    gw = undefined;
    // Appended before the store was closed (the gateway closes its backends last).
    expect(store.appended).toEqual(['at stop']);
  });

  it('is stored before delivery with --reliable-hold-ms 0, and with a reference', async () => {
    const store = await start({ reliableHoldMs: 0 });
    const sender = await connect('demo-1');
    const receiver = await connect('demo-2');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'stored' } });
    expect((await receiver.next('MESSAGE')).data.content).toBe('stored');
    expect(store.appended).toEqual(['stored']);
    await gw!.stop();
    const held = await start({ reliableHoldMs: 60_000 });
    const sender2 = await connect('demo-1');
    const receiver2 = await connect('demo-2');
    sender2.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'referenced' }, reference: 'r' });
    expect((await receiver2.next('MESSAGE')).data.content).toBe('referenced');
    expect(held.appended).toEqual(['referenced']);
  });
});
