import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClient } from './test-client.js';

import type { GatewayUnderTest, StartGateway } from './gateway-under-test.js';

/** Runs against any way of starting a gateway (in process, or the built CLI). */
export function protocolRulesSuite(start: StartGateway): void {
let gw: GatewayUnderTest;
const clients: TestClient[] = [];

async function client(userId?: string, appId = 'demo'): Promise<TestClient> {
  const c = await TestClient.connect(gw.url);
  clients.push(c);
  if (userId !== undefined) {
    const reply = await c.auth(userId, appId);
    expect(reply.data.isAuthenticated).toBe(true);
  }
  return c;
}

beforeEach(async () => {
  gw = await start({
    clientApps: [
      { appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false },
      { appName: 'ANZ', appId: 'app-id-343', masterUserId: 'ANZ-123223', authEnabled: false },
    ],
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await gw.stop();
});

describe('AUTH_CLIENT', () => {
  it('authenticates a user of a known app', async () => {
    const c = await client();
    const reply = await c.auth('demo-1');
    expect(reply).toEqual({ type: 'AUTH_CLIENT_REPLY', data: { appId: 'demo', userId: 'demo-1', isAuthenticated: true } });
  });

  it('refuses an unknown appId and a userId without the app prefix, and keeps the socket open', async () => {
    const c = await client();
    expect((await c.auth('demo-1', 'nope')).data.isAuthenticated).toBe(false);
    expect((await c.auth('ANZ-1', 'demo')).data.isAuthenticated).toBe(false);
    expect((await c.auth('demo-x', 'demo')).data.isAuthenticated).toBe(false);
    expect((await c.auth('demo-2', 'demo')).data.isAuthenticated).toBe(true);
  });

  it('answers frames before auth with UNAUTHENTICATED and routes nothing', async () => {
    const receiver = await client('demo-2');
    const c = await client();
    c.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'x' }, feature: 'FAST', reference: 'r1' });
    const err = await c.next('ERROR');
    expect(err.data.code).toBe('UNAUTHENTICATED');
    expect(err.reference).toBe('r1');
    expect(await receiver.none('MESSAGE', 200)).toBe(true);
    expect((await c.auth('demo-3')).data.isAuthenticated).toBe(true);
  });

  it('closes with 1008 after too many frames before auth', async () => {
    const c = await client();
    for (let i = 0; i < 25; i++) c.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 1 } });
    expect((await c.closed).code).toBe(1008);
  });

  it('refuses a second AUTH_CLIENT and keeps the identity', async () => {
    const c = await client('demo-1');
    c.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-9', token: 't' } });
    expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
    const other = await client('demo-2');
    c.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'hi' }, feature: 'FAST' });
    expect((await other.next('MESSAGE')).data.from).toBe('demo-1');
  });

  it('processes frames sent right after AUTH_CLIENT without waiting for the reply', async () => {
    const receiver = await client('demo-2');
    const c = await client();
    c.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-1', token: 't' } });
    c.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'quick' }, feature: 'FAST' });
    expect((await c.next('AUTH_CLIENT_REPLY')).data.isAuthenticated).toBe(true);
    expect((await receiver.next('MESSAGE')).data.content).toBe('quick');
  });
});

describe('MESSAGE', () => {
  it('delivers FAST to an online user with from, content, id, and confirms a referenced one', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: { text: 'hello', n: [1, 2] } }, feature: 'FAST', reference: 'f1' });
    const m = await b.next('MESSAGE');
    expect(m.data.from).toBe('demo-1');
    expect(m.data.content).toEqual({ text: 'hello', n: [1, 2] });
    expect(typeof m.data.id).toBe('string');
    expect(m.reference).toBe('f1');
    const accepted = await a.next('MESSAGE_ACCEPTED');
    expect(accepted.data).toEqual({ reference: 'f1', id: m.data.id });
    expect((await a.next('MESSAGE_CONFIRMATION')).data).toEqual({ reference: 'f1' });
  });

  it('delivers RELIABLE to an online user after accepting it, then confirms', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'r' }, reference: 'r1' });
    const accepted = await a.next('MESSAGE_ACCEPTED');
    const m = await b.next('MESSAGE');
    expect(m.data.id).toBe(accepted.data.id);
    expect((await a.next('MESSAGE_CONFIRMATION')).data.reference).toBe('r1');
    // Delivered live: nothing left to fetch.
    expect(await b.fetchAll()).toEqual([]);
  });

  it('sends no ACCEPTED or confirmation without a reference', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'x' } });
    await b.next('MESSAGE');
    expect(await a.none((f) => f.type === 'MESSAGE_ACCEPTED' || f.type === 'MESSAGE_CONFIRMATION', 300)).toBe(true);
  });

  it('delivers to every connection of a user', async () => {
    const a = await client('demo-1');
    const tabs = [await client('demo-2'), await client('demo-2'), await client('demo-2')];
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'all tabs' }, feature: 'RELIABLE', reference: 'm' });
    const got = await Promise.all(tabs.map((t) => t.next('MESSAGE')));
    expect(new Set(got.map((g) => g.data.id)).size).toBe(1);
    await a.next('MESSAGE_CONFIRMATION');
    expect(await a.none('MESSAGE_CONFIRMATION', 300)).toBe(true); // confirmed once
  });

  it('keeps the order of one sender to one receiver across FAST and RELIABLE', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    for (let i = 0; i < 200; i++) a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: i }, feature: i % 3 === 0 ? 'FAST' : 'RELIABLE' });
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) seen.push((await b.next('MESSAGE')).data.content as number);
    expect(seen).toEqual([...Array(200).keys()]);
  });

  it('sends FAST to whichever connections the recipient has at the time, as they come and go', async () => {
    const a = await client('demo-1');
    const b1 = await client('demo-2');
    const c = await client('demo-3');
    const fast = (to: string, content: string): void => a.send({ type: 'MESSAGE', data: { to, content }, feature: 'FAST' });
    fast('demo-2', 'one');
    expect((await b1.next('MESSAGE')).data.content).toBe('one');
    fast('demo-3', 'to c');
    expect((await c.next('MESSAGE')).data.content).toBe('to c');
    expect(await b1.none('MESSAGE', 100)).toBe(true);
    const b2 = await client('demo-2'); // a second tab joins
    fast('demo-2', 'two');
    fast('demo-2', 'three');
    for (const tab of [b1, b2]) expect([(await tab.next('MESSAGE')).data.content, (await tab.next('MESSAGE')).data.content]).toEqual(['two', 'three']);
    await b1.close();
    await b2.close();
    await new Promise((r) => setTimeout(r, 100)); // the server has seen both closes
    fast('demo-2', 'while away'); // FAST to an offline user: dropped
    const b3 = await client('demo-2');
    fast('demo-2', 'back');
    expect((await b3.next('MESSAGE')).data.content).toBe('back');
  });

  it('drops FAST to an offline user', async () => {
    const a = await client('demo-1');
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'gone' }, feature: 'FAST', reference: 'x' });
    await a.next('MESSAGE_ACCEPTED');
    const b = await client('demo-2');
    expect(await b.fetchAll()).toEqual([]);
    expect(await a.none('MESSAGE_CONFIRMATION', 200)).toBe(true);
  });

  it('refuses a message to a user of another app with FORBIDDEN and delivers nothing', async () => {
    const a = await client('demo-1');
    const anz = await client('ANZ-5', 'app-id-343');
    a.send({ type: 'MESSAGE', data: { to: 'ANZ-5', content: 'x' }, feature: 'FAST', reference: 'bad' });
    const err = await a.next('ERROR');
    expect(err.data.code).toBe('FORBIDDEN');
    expect(err.reference).toBe('bad');
    expect(await anz.none('MESSAGE', 200)).toBe(true);
  });

  it('ignores a forged from: the sender is always the authenticated user', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'x', from: 'demo-0' }, feature: 'FAST' });
    expect((await b.next('MESSAGE')).data.from).toBe('demo-1');
  });
});

describe('RELIABLE to offline users', () => {
  it('stores, then serves oldest first in pages with leftMissingCount, then confirms to the sender', async () => {
    const a = await client('demo-1');
    for (let i = 0; i < 5; i++) a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: `m${i}` }, reference: `r${i}` });
    for (let i = 0; i < 5; i++) expect((await a.next('MESSAGE_ACCEPTED')).data.reference).toBe(`r${i}`);
    const b = await client('demo-2');
    b.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 2 } });
    expect((await b.next('MESSAGE')).data.content).toBe('m0');
    expect((await b.next('MESSAGE')).data.content).toBe('m1');
    expect((await b.next('FETCH_MISSING_MESSAGES_COMPLETE')).data.leftMissingCount).toBe(3);
    const rest = await b.fetchAll(10);
    expect(rest.map((f) => f.data.content)).toEqual(['m2', 'm3', 'm4']);
    const confirmations = [];
    for (let i = 0; i < 5; i++) confirmations.push((await a.next('MESSAGE_CONFIRMATION')).data.reference);
    expect(confirmations.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(await b.fetchAll()).toEqual([]);
  });

  it('stores the confirmation for an offline sender until it fetches', async () => {
    const a = await client('demo-1');
    a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: 'later' }, reference: 'keep' });
    await a.next('MESSAGE_ACCEPTED');
    await a.close();
    const b = await client('demo-2');
    expect((await b.fetchAll()).map((f) => f.data.content)).toEqual(['later']);
    // Give the proof round trip a moment, then the sender comes back.
    await new Promise((r) => setTimeout(r, 100));
    const a2 = await client('demo-1');
    const frames = await a2.fetchAll();
    expect(frames).toEqual([{ type: 'MESSAGE_CONFIRMATION', data: { reference: 'keep' } }]);
  });
});

describe('GROUP_MESSAGE', () => {
  it('reaches every listed user once, with no confirmation', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    const c = await client('demo-3');
    a.send({ type: 'GROUP_MESSAGE', data: { to: ['demo-2', 'demo-3', 'demo-2'], content: 'all' }, feature: 'FAST', reference: 'g' });
    expect((await b.next('MESSAGE')).data.content).toBe('all');
    expect((await c.next('MESSAGE')).data.content).toBe('all');
    expect(await b.none('MESSAGE', 200)).toBe(true);
    expect(await a.none('MESSAGE_CONFIRMATION', 200)).toBe(true);
  });

  it('stores RELIABLE group copies for offline members', async () => {
    const a = await client('demo-1');
    a.send({ type: 'GROUP_MESSAGE', data: { to: ['demo-4', 'demo-5'], content: 'later' } });
    await new Promise((r) => setTimeout(r, 100));
    const d = await client('demo-4');
    expect((await d.fetchAll()).map((f) => f.data.content)).toEqual(['later']);
  });

  it('refuses a group with a member of another app, delivering to nobody', async () => {
    const a = await client('demo-1');
    const b = await client('demo-2');
    a.send({ type: 'GROUP_MESSAGE', data: { to: ['demo-2', 'ANZ-1'], content: 'x' }, feature: 'FAST' });
    expect((await a.next('ERROR')).data.code).toBe('FORBIDDEN');
    expect(await b.none('MESSAGE', 200)).toBe(true);
  });
});

describe('master user', () => {
  it('hears USER_CONNECTED on a first connection and USER_DISCONNECTED after the last', async () => {
    const master = await client('demo-0');
    const t1 = await client('demo-7');
    expect((await master.next('USER_CONNECTED')).data).toEqual({ userId: 'demo-7' });
    const t2 = await client('demo-7');
    expect(await master.none('USER_CONNECTED', 150)).toBe(true);
    await t1.close();
    expect(await master.none('USER_DISCONNECTED', 150)).toBe(true);
    await t2.close();
    expect((await master.next('USER_DISCONNECTED')).data).toEqual({ userId: 'demo-7' });
  });
});
}
