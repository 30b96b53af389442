/**
 * Session resume (docs/protocol.md): the wire format with raw frames, exactly-once accept, and
 * the SDK through a fault relay: drop/resume cycles that replay nothing twice, and a resume past
 * the window that is refused and made good by the SDK's own fetch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultRelay, type FaultRelay } from '../support/fault-relay.js';
import { gatewayScope } from '../support/gateway.js';
import { Ledger, sdkClient, startResumeGateway, until } from '../support/resume.js';
import { TestClient } from '../support/test-client.js';
import type { SwitchboardClient } from '../../src/client/index.js';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/memory/memory-bus.js';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { MemoryAcceptLog } from '../../src/adapters/memory/memory-accept-log.js';
import { createResumePlugin } from '../../src/core/resume/resume-plugin.js';

const scope = gatewayScope();
const relays: FaultRelay[] = [];
const sdks: SwitchboardClient[] = [];
afterEach(async () => {
  for (const c of sdks.splice(0)) c.close();
  for (const r of relays.splice(0)) await r.close();
});

async function raw(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  scope.clients.push(c);
  return c;
}

describe('resume: wire format', () => {
  it('gives a session, numbers frames, and replays exactly the frames after lastSeq', async () => {
    const g = await startResumeGateway(scope);
    const bob = await raw(g.url);
    const reply = await (bob.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-2', token: 't', resume: {} } }), bob.next('AUTH_CLIENT_REPLY'));
    const session = reply.data.session as { id: string; token: string; resumed: boolean; seq: number };
    expect(session).toMatchObject({ resumed: false, seq: 0 });
    // The id names its home node (resume on another node claims it there), then 128 random bits.
    expect(session.id).toMatch(/^[^.]+\.[0-9a-f]{32}$/);
    expect(session.token).toMatch(/^[0-9a-f]{32}$/);

    const alice = await raw(g.url);
    await alice.auth('demo-1');
    for (let n = 1; n <= 5; n++) alice.send({ type: 'MESSAGE', data: { to: 'demo-2', content: { n } } });
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await bob.next('MESSAGE'));
    expect(first.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    bob.send({ type: 'ACK', data: { seq: 2 } });
    bob.ws.terminate();

    // Sent while bob is away: kept in the session.
    for (let n = 6; n <= 7; n++) alice.send({ type: 'MESSAGE', data: { to: 'demo-2', content: { n } } });
    await new Promise((r) => setTimeout(r, 100));

    const back = await raw(g.url);
    back.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-2', token: 't', resume: { sessionId: session.id, token: session.token, lastSeq: 4 } } });
    const again = await back.next('AUTH_CLIENT_REPLY');
    expect(again.data.session).toMatchObject({ id: session.id, resumed: true, seq: 4 });
    const replay = [];
    for (let i = 0; i < 3; i++) replay.push(await back.next('MESSAGE'));
    expect(replay.map((f) => [f.seq, f.data.content.n])).toEqual([
      [5, 5],
      [6, 6],
      [7, 7],
    ]);
    expect(await back.none('MESSAGE', 200)).toBe(true);
  });

  it('refuses a wrong token or an impossible lastSeq (resumed: false, a new session)', async () => {
    const g = await startResumeGateway(scope);
    const bob = await raw(g.url);
    bob.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-2', token: 't', resume: {} } });
    const { session } = (await bob.next('AUTH_CLIENT_REPLY')).data as { session: { id: string; token: string } };
    bob.ws.terminate();
    const other = await raw(g.url);
    other.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-2', token: 't', resume: { sessionId: session.id, token: 'f'.repeat(32), lastSeq: 0 } } });
    expect((await other.next('AUTH_CLIENT_REPLY')).data.session).toMatchObject({ resumed: false, seq: 0 });
    const late = await raw(g.url);
    late.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-2', token: 't', resume: { sessionId: session.id, token: session.token, lastSeq: 99 } } });
    expect((await late.next('AUTH_CLIENT_REPLY')).data.session.resumed).toBe(false);
  });

  it('answers a repeated reference with the first MESSAGE_ACCEPTED and routes it once', async () => {
    const g = await startResumeGateway(scope);
    const bob = await raw(g.url);
    await bob.auth('demo-2');
    const alice = await raw(g.url);
    alice.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-1', token: 't', resume: {} } });
    await alice.next('AUTH_CLIENT_REPLY');
    const frame = { type: 'MESSAGE', data: { to: 'demo-2', content: 'once' }, reference: 'r-1' };
    alice.send(frame);
    alice.send(frame);
    const a1 = await alice.next('MESSAGE_ACCEPTED');
    const a2 = await alice.next('MESSAGE_ACCEPTED');
    expect(a2.data).toEqual(a1.data);
    await bob.next('MESSAGE');
    expect(await bob.none('MESSAGE', 300)).toBe(true);
  });

  it('keeps the plain protocol for clients that do not ask: no session, no seq, ACK refused', async () => {
    const g = await startResumeGateway(scope);
    const bob = await raw(g.url);
    const reply = await bob.auth('demo-2');
    expect(reply.data).toEqual({ appId: 'demo', userId: 'demo-2', isAuthenticated: true });
    bob.send({ type: 'ACK', data: { seq: 1 } });
    expect((await bob.next('ERROR')).data.code).toBe('BAD_REQUEST');
    bob.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-2', token: 't', resume: { sessionId: 'x' } } });
    expect((await bob.next('ERROR')).data.code).toBe('BAD_REQUEST');
  });
});

describe('resume: SDK through a fault relay', () => {
  it('20 drop/resume cycles in a row: every message once, in order, no frame replayed twice', async () => {
    const g = await startResumeGateway(scope);
    const relay = await startFaultRelay({ targetPort: Number(new URL(g.url).port) });
    relays.push(relay);
    const alice = sdkClient(g.url, 'demo-11');
    const bob = sdkClient(relay.url(), 'demo-12');
    sdks.push(alice, bob);
    const ledger = new Ledger();
    bob.on('message', (m) => ledger.add(m.from, m.content));
    await Promise.all([alice.connect(), bob.connect()]);
    let sent = 0;
    let accepted = 0;
    for (let cycle = 0; cycle < 20; cycle++) {
      for (let i = 0; i < 10; i++) void alice.send('demo-12', { n: sent++ }).then(() => accepted++);
      await new Promise((r) => setTimeout(r, 30));
      relay.cutAll(cycle % 2 === 0 ? 'reset' : 'silence');
      await until(() => bob.state.type === 'disconnected' || (bob.state.type === 'connected' && bob.stats.resumed + bob.stats.refused > cycle), 3_000, 'the drop');
      await until(() => bob.state.type === 'connected', 5_000, `resume ${cycle + 1}`);
    }
    await until(() => ledger.count('demo-11') >= sent, 5_000, 'every message');
    await new Promise((r) => setTimeout(r, 200));
    const received = ledger.count('demo-11');
    console.log(`20 cycles: sent ${sent}, accepted ${accepted}, received ${received}, lost ${sent - received + ledger.duplicated}, duplicated ${ledger.duplicated}, resumed ${bob.stats.resumed}, refused ${bob.stats.refused}, replayed twice ${bob.stats.repeats}, relay resets ${relay.stats.resets}`);
    expect(bob.stats.resumed).toBe(20);
    expect(bob.stats.refused).toBe(0);
    expect(bob.stats.repeats).toBe(0);
    expect(ledger.duplicated).toBe(0);
    expect(ledger.outOfOrder).toBe(0);
    expect(received).toBe(sent);
  });

  it('past the window: resumed false, and the SDK fetch brings every RELIABLE message', async () => {
    const g = await startResumeGateway(scope, { windowMs: 300 });
    const relay = await startFaultRelay({ targetPort: Number(new URL(g.url).port) });
    relays.push(relay);
    const alice = sdkClient(g.url, 'demo-21');
    const bob = sdkClient(relay.url(), 'demo-22', { reconnect: { minDelayMs: 1_000, maxDelayMs: 1_000 } });
    sdks.push(alice, bob);
    const ledger = new Ledger();
    bob.on('message', (m) => ledger.add(m.from, m.content));
    await Promise.all([alice.connect(), bob.connect()]);
    const sends = [];
    for (let n = 0; n < 100; n++) sends.push(alice.send('demo-22', { n }));
    await until(() => ledger.count('demo-21') >= 50, 5_000, 'half of them live');
    relay.cutAll('reset');
    for (let n = 100; n < 300; n++) sends.push(alice.send('demo-22', { n }));
    const accepted = (await Promise.all(sends)).length;
    await until(() => bob.stats.refused === 1 && ledger.count('demo-21') >= 300, 10_000, 'the fetch after the refused resume');
    await new Promise((r) => setTimeout(r, 200));
    const received = ledger.count('demo-21');
    console.log(`past the window: sent 300, accepted ${accepted}, received ${received}, lost ${300 - received + ledger.duplicated}, duplicated ${ledger.duplicated}, resumed ${bob.stats.resumed}, refused ${bob.stats.refused}, repeats dropped by id ${bob.stats.duplicates}`);
    expect(ledger.duplicated).toBe(0);
    expect(received).toBe(300);
    expect(g.plugin.stats().sessions).toBe(2);
  });
});

describe('resume: bounds', () => {
  it('a session past its frame bound ends: the resume is refused and the fetch brings every RELIABLE message', async () => {
    const g = await startResumeGateway(scope, { maxFrames: 50 });
    const relay = await startFaultRelay({ targetPort: Number(new URL(g.url).port) });
    relays.push(relay);
    const alice = sdkClient(g.url, 'demo-61');
    const bob = sdkClient(relay.url(), 'demo-62', { reconnect: { minDelayMs: 600, maxDelayMs: 600 } });
    sdks.push(alice, bob);
    const ledger = new Ledger();
    bob.on('message', (m) => ledger.add(m.from, m.content));
    await Promise.all([alice.connect(), bob.connect()]);
    relay.cutAll('reset');
    await until(() => bob.state.type === 'disconnected', 2_000, 'the drop');
    const sends = [];
    for (let n = 0; n < 120; n++) sends.push(alice.send('demo-62', { n }));
    await Promise.all(sends);
    await until(() => bob.stats.refused === 1 && ledger.count('demo-61') >= 120, 10_000, 'the fetch after the overflow').catch((e: unknown) => { console.log(JSON.stringify({ state: bob.state, stats: bob.stats, got: ledger.count('demo-61'), plugin: g.plugin.stats() })); throw e; });
    console.log(`overflow: sent 120, accepted ${sends.length}, received ${ledger.count('demo-61')}, lost ${120 - ledger.count('demo-61')}, duplicated ${ledger.duplicated}, refused resumes ${bob.stats.refused}`);
    expect(ledger.duplicated).toBe(0);
    expect(ledger.count('demo-61')).toBe(120);
  });
});

describe('resume: another node', () => {
  it('a resume that lands on another node is claimed from the first: resumed there, every RELIABLE message once and in order', async () => {
    const network = new MemoryBusNetwork();
    const acceptLog = new MemoryAcceptLog();
    const shared = { presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease() };
    const pluginA = createResumePlugin({ acceptLog });
    const pluginB = createResumePlugin({ acceptLog });
    const nodeA = await scope.start({ nodeId: 'node-a' }, { ...shared, bus: new MemoryBus({ network }), plugins: [pluginA] });
    const nodeB = await scope.start({ nodeId: 'node-b' }, { ...shared, bus: new MemoryBus({ network }), plugins: [pluginB] });
    const relay = await startFaultRelay({ targetPort: Number(new URL(nodeA.url).port) });
    relays.push(relay);
    const alice = sdkClient(nodeA.url, 'demo-51');
    const bob = sdkClient(relay.url(), 'demo-52', { reconnect: { minDelayMs: 300, maxDelayMs: 300 } });
    sdks.push(alice, bob);
    const ledger = new Ledger();
    bob.on('message', (m) => ledger.add(m.from, m.content));
    await Promise.all([alice.connect(), bob.connect()]);
    const sends = [];
    for (let n = 0; n < 100; n++) sends.push(alice.send('demo-52', { n }));
    await until(() => ledger.count('demo-51') >= 30, 5_000, 'some of them live');
    relay.configure({ targetPort: Number(new URL(nodeB.url).port) });
    relay.cutAll('reset');
    for (let n = 100; n < 200; n++) sends.push(alice.send('demo-52', { n }));
    const accepted = (await Promise.all(sends)).length;
    await until(() => bob.stats.resumed === 1 && ledger.count('demo-51') >= 200, 10_000, 'the resume on node B');
    await new Promise((r) => setTimeout(r, 300));
    const received = ledger.count('demo-51');
    console.log(`another node: sent 200, accepted ${accepted}, received ${received}, lost ${200 - received + ledger.duplicated}, duplicated ${ledger.duplicated}, out of order ${ledger.outOfOrder}, resumed ${bob.stats.resumed}, refused ${bob.stats.refused}, repeats dropped by id ${bob.stats.duplicates}`);
    expect(bob.stats.refused).toBe(0);
    expect(pluginB.stats().claimed).toBe(1);
    expect(pluginA.stats().handedOff).toBe(1);
    expect(ledger.duplicated).toBe(0);
    expect(ledger.outOfOrder).toBe(0);
    expect(received).toBe(200);
    // The handed frames' proofs resolved on node A as node B reported the acknowledgements.
    await until(() => pluginA.stats().ghosts === 0, 5_000, 'the proofs on node A');
  });
});

describe('resume: claims between nodes (wire format)', () => {
  async function twoNodes() {
    const network = new MemoryBusNetwork();
    const acceptLog = new MemoryAcceptLog();
    const shared = { presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease() };
    const plugins = [createResumePlugin({ acceptLog, claimTimeoutMs: 500 }), createResumePlugin({ acceptLog, claimTimeoutMs: 500 })];
    const a = await scope.start({ nodeId: 'node-a' }, { ...shared, bus: new MemoryBus({ network }), plugins: [plugins[0]!] });
    const b = await scope.start({ nodeId: 'node-b' }, { ...shared, bus: new MemoryBus({ network }), plugins: [plugins[1]!] });
    return { a, b, plugins };
  }
  const resume = (c: TestClient, r: object): void => c.send({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-82', token: 't', resume: r } });

  it('replays on node B exactly the frames after lastSeq that node A held, numbered on; a wrong token or a node not alive is refused', async () => {
    const { a, b, plugins } = await twoNodes();
    const bob = await raw(a.url);
    resume(bob, {});
    const session = (await bob.next('AUTH_CLIENT_REPLY')).data.session as { id: string; token: string };
    expect(session.id.startsWith('node-a.')).toBe(true);
    const alice = await raw(a.url);
    await alice.auth('demo-81');
    for (let n = 1; n <= 4; n++) alice.send({ type: 'MESSAGE', data: { to: 'demo-82', content: { n } } });
    for (let i = 0; i < 4; i++) await bob.next('MESSAGE');
    bob.ws.terminate();
    for (let n = 5; n <= 6; n++) alice.send({ type: 'MESSAGE', data: { to: 'demo-82', content: { n } } });
    await new Promise((r) => setTimeout(r, 100));

    // A wrong token: refused by node A, a new session on node B (and node A's stays).
    const wrong = await raw(b.url);
    resume(wrong, { sessionId: session.id, token: 'f'.repeat(32), lastSeq: 2 });
    expect((await wrong.next('AUTH_CLIENT_REPLY')).data.session).toMatchObject({ resumed: false, seq: 0 });
    wrong.ws.close(1000);

    const back = await raw(b.url);
    resume(back, { sessionId: session.id, token: session.token, lastSeq: 2 });
    const reply = (await back.next('AUTH_CLIENT_REPLY')).data.session as { id: string; resumed: boolean; seq: number };
    expect(reply).toMatchObject({ resumed: true, seq: 2 });
    expect(reply.id.startsWith('node-b.')).toBe(true);
    const replay = [];
    for (let i = 0; i < 4; i++) replay.push(await back.next('MESSAGE'));
    expect(replay.map((f) => [f.seq, f.data.content.n])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    expect(await back.none('MESSAGE', 200)).toBe(true);
    // Live traffic goes on, numbered after the replay.
    alice.send({ type: 'MESSAGE', data: { to: 'demo-82', content: { n: 7 } } });
    expect((await back.next('MESSAGE')).seq).toBe(7);
    back.send({ type: 'ACK', data: { seq: 7 } });
    await until(() => plugins[0]!.stats().ghosts === 0 && plugins[0]!.stats().sessions === 0, 2_000, 'node A let the session go');
    expect(plugins[1]!.stats().claimed).toBe(1);

    // A session id naming a node that is not alive: refused at once, no claim sent.
    const ghost = await raw(b.url);
    const started = Date.now();
    resume(ghost, { sessionId: `node-gone.${'a'.repeat(32)}`, token: 'b'.repeat(32), lastSeq: 0 });
    expect((await ghost.next('AUTH_CLIENT_REPLY')).data.session).toMatchObject({ resumed: false, seq: 0 });
    expect(Date.now() - started).toBeLessThan(500);
  });
});
