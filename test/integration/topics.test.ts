// Topics (contract §9) and the server API (§8) against in-process gateways: one node, and two
// nodes sharing an in-memory bus network, so publications cross the bus once per node.
import { describe, expect, it } from 'vitest';
import { gatewayScope, startTwoNodes, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';
import { API_KEY, OTHER_KEY, api, topicApps } from '../support/topics-config.js';

const scope = gatewayScope();

async function client(g: { url: string }, userId: string, appId = 'app-alpha'): Promise<TestClient> {
  const c = await TestClient.connect(g.url);
  scope.clients.push(c);
  const reply = await c.auth(userId, appId);
  expect(reply.data.isAuthenticated).toBe(true);
  return c;
}

async function subscribe(c: TestClient, topic: string): Promise<void> {
  c.send({ type: 'SUBSCRIBE', data: { topic }, reference: `s-${topic}` });
  const f = await c.next((x) => x.type === 'SUBSCRIBED' || x.type === 'ERROR');
  expect(f).toMatchObject({ type: 'SUBSCRIBED', data: { topic }, reference: `s-${topic}` });
}

describe('topics on one node', () => {
  it('admits topics a pattern matches and refuses others with FORBIDDEN', async () => {
    const g = await scope.start({ clientApps: topicApps() as never });
    const c = await client(g, 'alpha-1');
    await subscribe(c, 'news/sport/football');
    await subscribe(c, 'room/42');
    for (const topic of ['news', 'room/42/x', 'other/1', 'project/1']) {
      c.send({ type: 'SUBSCRIBE', data: { topic }, reference: 'r' });
      expect(await c.next('ERROR')).toMatchObject({ data: { code: 'FORBIDDEN' }, reference: 'r' });
    }
    c.send({ type: 'SUBSCRIBE', data: {} });
    expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
    c.send({ type: 'SUBSCRIBE', data: { topic: `room/${'x'.repeat(300)}` } });
    expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
  });

  it('bounds subscriptions per connection with LIMIT_EXCEEDED, and SUBSCRIBE is idempotent', async () => {
    const g = await scope.start({ clientApps: topicApps() as never, maxSubscriptions: 2 });
    const c = await client(g, 'alpha-1');
    await subscribe(c, 'room/1');
    await subscribe(c, 'room/1');
    await subscribe(c, 'room/2');
    c.send({ type: 'SUBSCRIBE', data: { topic: 'room/3' } });
    expect((await c.next('ERROR')).data.code).toBe('LIMIT_EXCEEDED');
    c.send({ type: 'UNSUBSCRIBE', data: { topic: 'room/1' } });
    expect(await c.next('UNSUBSCRIBED')).toMatchObject({ data: { topic: 'room/1' } });
    await subscribe(c, 'room/3');
    expect(g.gateway.topics.subscriberCount('app-alpha', 'room/1')).toBe(0);
  });

  it('publishes to exactly the subscribed connections of the app, once each', async () => {
    const g = await scope.start({ clientApps: topicApps() as never });
    const a1 = await client(g, 'alpha-1');
    const a2 = await client(g, 'alpha-2');
    const gone = await client(g, 'alpha-3');
    const idle = await client(g, 'alpha-4');
    const b1 = await client(g, 'beta-1', 'app-beta');
    for (const c of [a1, a2, gone]) await subscribe(c, 'news/today');
    await subscribe(b1, 'news/today');
    gone.send({ type: 'UNSUBSCRIBE', data: { topic: 'news/today' } });
    await gone.next('UNSUBSCRIBED');
    const r = await api(g.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'news/today', data: { headline: 'hi', n: 1 } } });
    expect(r).toEqual({ status: 200, body: { ok: true } });
    for (const c of [a1, a2]) expect(await c.next('PUBLICATION')).toEqual({ type: 'PUBLICATION', data: { topic: 'news/today', data: { headline: 'hi', n: 1 } } });
    expect(await gone.none('PUBLICATION')).toBe(true);
    expect(await idle.none('PUBLICATION', 50)).toBe(true);
    expect(await b1.none('PUBLICATION', 50)).toBe(true);
    expect(await a1.none('PUBLICATION', 50)).toBe(true);
    // The embedding API reaches the same subscribers.
    expect(await g.gateway.publish('app-beta', 'news/today', 'plain')).toEqual({ ok: true });
    expect((await b1.next('PUBLICATION')).data).toEqual({ topic: 'news/today', data: 'plain' });
    console.log('publish counts: sent 1 per app, received', { alpha: 2, beta: 1 }, 'lost 0, duplicated 0');
  });

  it('drops a closed connection\'s subscriptions', async () => {
    const g = await scope.start({ clientApps: topicApps() as never });
    const c = await client(g, 'alpha-1');
    await subscribe(c, 'room/7');
    expect(g.gateway.topics.subscriberCount('app-alpha', 'room/7')).toBe(1);
    await c.close();
    await expect.poll(() => g.gateway.topics.subscriberCount('app-alpha', 'room/7')).toBe(0);
  });

  it('closes a subscriber that does not read with 1013 while the others get every publication', async () => {
    const g = await scope.start({ clientApps: topicApps() as never, maxBufferedBytes: 64 * 1024 });
    const healthy = await client(g, 'alpha-1');
    const slow = await client(g, 'alpha-2');
    await subscribe(healthy, 'room/big');
    await subscribe(slow, 'room/big');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const sent = 1_500;
    const data = 'x'.repeat(4_000);
    for (let i = 0; i < sent; i++) {
      expect((await g.gateway.publish('app-alpha', 'room/big', { i, data })).ok).toBe(true);
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
    }
    let received = 0;
    for (let i = 0; i < sent; i++) {
      const f = await healthy.next('PUBLICATION');
      expect(f.data.data.i).toBe(i);
      received++;
    }
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(1013);
    await expect.poll(() => g.gateway.topics.subscriberCount('app-alpha', 'room/big')).toBe(1);
    console.log('slow subscriber counts:', { sent, received, lost: sent - received, duplicated: 0, slowClosedWith: 1013 });
  });

  it('refuses a publication over --max-payload with 413 and a bad topic with 400', async () => {
    const g = await scope.start({ clientApps: topicApps() as never, maxPayload: 1024 });
    expect((await api(g.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'room/1', data: 'x'.repeat(2000) } })).status).toBe(413);
    expect((await api(g.httpUrl, '/api/publish', { key: API_KEY, body: { topic: '', data: 1 } })).body.error.code).toBe('BAD_REQUEST');
    expect((await g.gateway.publish('app-alpha', 'room/1', 'y'.repeat(1100))).ok).toBe(false);
  });
});

describe('server API', () => {
  it('answers 401 without a key or with a wrong one, 400 for bad bodies, 404 and 405 for other requests', async () => {
    const g = await scope.start({ clientApps: topicApps() as never });
    expect((await api(g.httpUrl, '/api/publish', { body: { topic: 'a', data: 1 } })).status).toBe(401);
    expect((await api(g.httpUrl, '/api/publish', { key: 'wrong-key-0123456789', body: { topic: 'a', data: 1 } })).status).toBe(401);
    expect((await api(g.httpUrl, '/api/nodes', { key: `${API_KEY}x` })).status).toBe(401);
    const bad = await api(g.httpUrl, '/api/publish', { key: API_KEY, body: '{not json' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(typeof bad.body.error.message).toBe('string');
    for (const [path, body] of [['/api/publish', { topic: 'a' }], ['/api/publish', { data: 1 }], ['/api/send', { to: 'alpha-1' }], ['/api/send', { content: 1 }], ['/api/send', { to: 'alpha-1', content: 1, feature: 'SLOW' }], ['/api/disconnect', {}], ['/api/publish', [1]]] as const) {
      const r = await api(g.httpUrl, path, { key: API_KEY, body });
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error.code).toBe('BAD_REQUEST');
    }
    expect((await api(g.httpUrl, '/api/send', { key: API_KEY, body: { to: 'beta-1', content: 1 } })).status).toBe(403);
    expect((await api(g.httpUrl, '/api/users/beta-1', { key: API_KEY })).status).toBe(403);
    expect((await api(g.httpUrl, '/api/nope', { key: API_KEY })).status).toBe(404);
    expect((await api(g.httpUrl, '/api/publish', { key: API_KEY })).status).toBe(405);
    expect((await api(g.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-1', content: 'x'.repeat(70_000) } })).status).toBe(413);
  });

  it('sends RELIABLE to an online and an offline user, FAST to an online one, from the master user', async () => {
    const g = await scope.start({ clientApps: topicApps() as never });
    const online = await client(g, 'alpha-1');
    const r = await api(g.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-1', content: { hello: 1 } } });
    expect(r.status).toBe(200);
    expect(await online.next('MESSAGE')).toMatchObject({ data: { from: 'alpha-0', content: { hello: 1 }, id: r.body.id } });
    const fast = await api(g.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-1', content: 'quick', feature: 'FAST' } });
    expect((await online.next('MESSAGE')).data).toMatchObject({ content: 'quick', id: fast.body.id });
    const off = await api(g.httpUrl, '/api/send', { key: API_KEY, body: { to: 'alpha-9', content: ['stored'] } });
    expect(off.status).toBe(200);
    const later = await client(g, 'alpha-9');
    const fetched = await later.fetchAll();
    expect(fetched.map((f) => [f.data.from, f.data.content, f.data.id])).toEqual([['alpha-0', ['stored'], off.body.id]]);
  });

  it('disconnects every connection of a user with 4000 and reports presence', async () => {
    const g = await scope.start({ clientApps: topicApps() as never });
    const a = await client(g, 'alpha-5');
    const b = await client(g, 'alpha-5');
    const other = await client(g, 'alpha-6');
    expect((await api(g.httpUrl, '/api/users/alpha-5', { key: API_KEY })).body).toEqual({ userId: 'alpha-5', online: true, connections: 2 });
    expect((await api(g.httpUrl, '/api/disconnect', { key: API_KEY, body: { userId: 'alpha-5' } })).body).toEqual({ closed: 2 });
    expect((await a.closed).code).toBe(4000);
    expect((await b.closed).code).toBe(4000);
    expect(other.closeCode).toBeUndefined();
    await expect.poll(async () => (await api(g.httpUrl, '/api/users/alpha-5', { key: API_KEY })).body.connections).toBe(0);
    expect((await api(g.httpUrl, '/api/users/alpha-5', { key: API_KEY })).body.online).toBe(false);
    const nodes = await api(g.httpUrl, '/api/nodes', { key: OTHER_KEY });
    expect(nodes.status).toBe(200);
    expect(nodes.body.nodes).toHaveLength(1);
    expect(nodes.body.nodes[0].connections).toBe(1);
  });
});

describe('topics on two nodes', () => {
  it("a publication reaches subscribers on both nodes once, and a disconnect closes the user's connections on both", async () => {
    const cluster: TestGateway & { nodes: readonly TestGateway[] } = await startTwoNodes({ clientApps: topicApps() as never });
    try {
      const [a, b] = cluster.nodes;
      const onA = await client(a!, 'alpha-1');
      const onB = await client(b!, 'alpha-2');
      const betaOnB = await client(b!, 'beta-2', 'app-beta');
      await subscribe(onA, 'news/x');
      await subscribe(onB, 'news/x');
      await subscribe(betaOnB, 'news/x');
      expect((await api(a!.httpUrl, '/api/publish', { key: API_KEY, body: { topic: 'news/x', data: 1 } })).status).toBe(200);
      expect((await onA.next('PUBLICATION')).data.data).toBe(1);
      expect((await onB.next('PUBLICATION')).data.data).toBe(1);
      expect(await betaOnB.none('PUBLICATION', 200)).toBe(true);
      expect(await onB.none('PUBLICATION', 50)).toBe(true);
      // Disconnect crosses nodes: the user's connections on both close with 4000.
      const second = await client(b!, 'alpha-1');
      expect((await api(b!.httpUrl, '/api/disconnect', { key: API_KEY, body: { userId: 'alpha-1' } })).body).toEqual({ closed: 2 });
      expect((await onA.closed).code).toBe(4000);
      expect((await second.closed).code).toBe(4000);
      const nodes = await api(a!.httpUrl, '/api/nodes', { key: API_KEY });
      expect(nodes.body.nodes.map((n: { nodeId: string }) => n.nodeId).sort()).toEqual(['node-a', 'node-b']);
    } finally {
      for (const c of scope.clients.splice(0)) c.ws.terminate();
      await cluster.stop();
    }
  });
});
