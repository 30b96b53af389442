// Seed 004's routing of 1:1 messages on node channels (core/routing/node-routes.ts), on three
// in-process nodes sharing one in-memory bus network, presence and store: the sender's node caches
// where its recipient is, and the cache follows the recipient as its devices come, go and move,
// without losing or repeating a message.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, MemoryBusNetwork, MemoryLease, MemoryMessageStore, MemoryPresence } from '../../src/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TestClient, type Frame } from '../support/test-client.js';

let nodes: TestGateway[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const n of nodes) await n.stop();
  nodes = [];
});

/** Three nodes on shared memory backends; `staleOnA` makes node A's presence answer every `nodesOf` with these nodes. */
async function threeNodes(staleOnA?: readonly string[]): Promise<TestGateway[]> {
  const network = new MemoryBusNetwork();
  const presence = new MemoryPresence();
  const shared = { store: new MemoryMessageStore(), lease: new MemoryLease() };
  const stale = new Proxy(presence, {
    get: (target, name) => {
      if (name === 'nodesOf' && staleOnA !== undefined) return () => Promise.resolve(staleOnA);
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  for (const id of ['node-a', 'node-b', 'node-c']) nodes.push(await startGateway({ nodeId: id }, { bus: new MemoryBus({ network }), presence: id === 'node-a' ? stale : presence, ...shared }));
  return nodes;
}

async function user(node: TestGateway, userId: string): Promise<TestClient> {
  const c = await TestClient.connect(node.url);
  clients.push(c);
  expect((await c.auth(userId)).data.isAuthenticated).toBe(true);
  return c;
}

const fast = (to: string, n: number, reference?: string): unknown => ({ type: 'MESSAGE', data: { to, content: { n } }, feature: 'FAST', ...(reference === undefined ? {} : { reference }) });
const reliable = (to: string, n: number): unknown => ({ type: 'MESSAGE', data: { to, content: { n } }, feature: 'RELIABLE', reference: `r${n}` });
const numbered = (n: number) => (f: Frame): boolean => f.type === 'MESSAGE' && (f.data.content as { n: number }).n === n;

describe('1:1 messages on node channels', () => {
  it('reaches a second device the moment it is connected on another node, and a user that moved nodes, each message once', async () => {
    const [a, b, c] = await threeNodes();
    const sender = await user(a!, 'demo-1');
    const onB = await user(b!, 'demo-2');
    // The first message fills node A's cache (a presence read), later ones use it.
    for (const n of [1, 2]) {
      sender.send(fast('demo-2', n));
      await onB.next(numbered(n));
    }
    // A second device on C: A's cache hears of it before the device's AUTH reply.
    const onC = await user(c!, 'demo-2');
    sender.send(fast('demo-2', 3));
    await onB.next(numbered(3));
    await onC.next(numbered(3));
    // The user leaves B: A still routes to B, which sends the message on to C and corrects A's cache.
    await onB.close();
    for (const n of [4, 5, 6]) sender.send(fast('demo-2', n, `f${n}`));
    for (const n of [4, 5, 6]) await onC.next(numbered(n));
    for (const n of [4, 5, 6]) expect((await sender.next((f) => f.type === 'MESSAGE_ACCEPTED' && f.data.reference === `f${n}`)).data.reference).toBe(`f${n}`);
    sender.send(reliable('demo-2', 7));
    await sender.next((f) => f.type === 'MESSAGE_ACCEPTED' && f.data.reference === 'r7');
    await onC.next(numbered(7));
    expect(await onC.none((f) => f.type === 'MESSAGE', 500)).toBe(true); // nothing twice
    expect(onC.frames.filter((f) => f.type === 'MESSAGE')).toEqual([]);
  });

  it('sends a message routed to a node that no longer holds its recipient on to the nodes that do, once', async () => {
    // Node A's presence reads say the user is on B (a stale answer, as after a lost arrival notice); it is on C.
    const [a, , c] = await threeNodes(['node-b']);
    const sender = await user(a!, 'demo-7');
    const onC = await user(c!, 'demo-8');
    for (let n = 1; n <= 20; n++) sender.send(n % 2 === 0 ? reliable('demo-8', n) : fast('demo-8', n));
    const seen: number[] = [];
    while (seen.length < 20) seen.push(((await onC.next('MESSAGE')).data.content as { n: number }).n);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await onC.none('MESSAGE', 500)).toBe(true);
  });

  it('keeps the order of many messages to a user on another node, FAST and RELIABLE mixed', async () => {
    const [a, b] = await threeNodes();
    const sender = await user(a!, 'demo-3');
    const receiver = await user(b!, 'demo-4');
    const total = 300;
    for (let n = 0; n < total; n++) sender.send(n % 3 === 0 ? reliable('demo-4', n) : fast('demo-4', n));
    const seen: number[] = [];
    while (seen.length < total) {
      const f = await receiver.next('MESSAGE');
      seen.push((f.data.content as { n: number }).n);
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, n) => n));
  });

  it('stores RELIABLE to a user that is on no node, and sends FAST nowhere', async () => {
    const [a, b] = await threeNodes();
    const sender = await user(a!, 'demo-5');
    sender.send(fast('demo-6', 1, 'f1'));
    await sender.next((f) => f.type === 'MESSAGE_ACCEPTED' && f.data.reference === 'f1');
    sender.send(reliable('demo-6', 2));
    await sender.next((f) => f.type === 'MESSAGE_ACCEPTED' && f.data.reference === 'r2');
    const late = await user(b!, 'demo-6');
    const fetched = await late.fetchAll();
    expect(fetched.map((f) => (f.data.content as { n: number }).n)).toEqual([2]);
  });
});
