// The SSE bridge (contract §9) on two in-process nodes sharing a bus network, presence and lease:
// one upstream stream for the cluster, events to every subscriber on both nodes, resume with
// Last-Event-ID after a drop, takeover when the holding node stops, close after the linger.
import { afterEach, describe, expect, it } from 'vitest';
import { startTwoNodes, type TestGateway } from '../support/gateway.js';
import { startSseUpstream, type SseUpstream } from '../support/sse-upstream.js';
import { TestClient } from '../support/test-client.js';
import { topicApps } from '../support/topics-config.js';

const TOPIC = 'project/7/push';
let upstream: SseUpstream | undefined;
let cluster: (TestGateway & { nodes: readonly TestGateway[] }) | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await cluster?.stop();
  await upstream?.close();
  cluster = undefined;
  upstream = undefined;
});

async function subscriber(node: TestGateway, userId: string): Promise<TestClient> {
  const c = await TestClient.connect(node.url);
  clients.push(c);
  expect((await c.auth(userId, 'app-alpha')).data.isAuthenticated).toBe(true);
  c.send({ type: 'SUBSCRIBE', data: { topic: TOPIC } });
  expect((await c.next((f) => f.type === 'SUBSCRIBED' || f.type === 'ERROR')).type).toBe('SUBSCRIBED');
  return c;
}

async function expectEvent(subscribers: readonly TestClient[], data: unknown, eventId: string): Promise<void> {
  for (const c of subscribers) expect((await c.next('PUBLICATION', 5_000)).data).toEqual({ topic: TOPIC, data, eventId });
}

describe('SSE bridge on two nodes', () => {
  it('holds one upstream stream for four subscribers on two nodes, resumes after a drop, moves when the holder stops, closes after the linger', async () => {
    upstream = await startSseUpstream();
    const lingerMs = 800;
    cluster = await startTwoNodes({ clientApps: topicApps(`${upstream.baseUrl}/events`) as never, sseLingerMs: lingerMs });
    const [a, b] = cluster.nodes as [TestGateway, TestGateway];
    const subs = [await subscriber(a, 'alpha-1'), await subscriber(a, 'alpha-2'), await subscriber(b, 'alpha-3'), await subscriber(b, 'alpha-4')];
    await expect.poll(() => upstream!.openCount(), { timeout: 5_000 }).toBe(1);
    // Both nodes tick the lease at least once more: still one stream.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(upstream.openCount()).toBe(1);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.url).toBe('/events?project=7&type=push');

    upstream.emit({ id: '1', data: '{"n":1}' });
    await expectEvent(subs, { n: 1 }, '1');
    upstream.emit({ id: '2', data: 'two\nlines' });
    await expectEvent(subs, 'two\nlines', '2');

    // Upstream dropped: reconnected with Last-Event-ID, and the next event delivered.
    upstream.dropAll();
    await expect.poll(() => upstream!.requests.length, { timeout: 5_000 }).toBe(2);
    expect(upstream.requests[1]!.lastEventId).toBe('2');
    await expect.poll(() => upstream!.openCount()).toBe(1);
    upstream.emit({ id: '3', data: '{"n":3}' });
    await expectEvent(subs, { n: 3 }, '3');

    // The holding node stops: the other takes the stream over within 10 s, resuming after event 3.
    const holder = a.gateway.topics.holdsStream('app-alpha', TOPIC) ? a : b;
    const survivor = holder === a ? b : a;
    const survivors = holder === a ? subs.slice(2) : subs.slice(0, 2);
    const stoppedAt = Date.now();
    await holder.stop();
    await expect.poll(() => survivor.gateway.topics.holdsStream('app-alpha', TOPIC), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => upstream!.openCount(), { timeout: 10_000 }).toBe(1);
    const takeoverMs = Date.now() - stoppedAt;
    expect(takeoverMs).toBeLessThan(10_000);
    expect(upstream.requests.at(-1)!.lastEventId).toBe('3');
    upstream.emit({ id: '4', data: '{"n":4}' });
    await expectEvent(survivors, { n: 4 }, '4');

    // Last unsubscribe: the stream closes after the linger, not before.
    for (const c of survivors) {
      c.send({ type: 'UNSUBSCRIBE', data: { topic: TOPIC } });
      await c.next('UNSUBSCRIBED');
    }
    const leftAt = Date.now();
    await new Promise((r) => setTimeout(r, lingerMs / 2));
    expect(upstream.openCount()).toBe(1);
    await expect.poll(() => upstream!.openCount(), { timeout: 5_000 }).toBe(0);
    const closedAfterMs = upstream.requests.at(-1)!.closedAt! - leftAt;
    expect(closedAfterMs).toBeGreaterThanOrEqual(lingerMs - 50);
    expect(closedAfterMs).toBeLessThan(lingerMs + 1_500);
    console.log('sse bridge counts:', { streams: upstream.requests.length, takeoverMs, closedAfterMs, events: 4, lost: 0, duplicated: 0 });
  }, 40_000);

  it('keeps subscribers subscribed while the upstream refuses, and delivers again once it is back', async () => {
    upstream = await startSseUpstream();
    upstream.refusing = true;
    cluster = await startTwoNodes({ clientApps: topicApps(`${upstream.baseUrl}/events`) as never });
    const [a, b] = cluster.nodes as [TestGateway, TestGateway];
    const subs = [await subscriber(a, 'alpha-1'), await subscriber(b, 'alpha-2')];
    await new Promise((r) => setTimeout(r, 1_000));
    expect(upstream.openCount()).toBe(0);
    upstream.refusing = false;
    await expect.poll(() => upstream!.openCount(), { timeout: 8_000 }).toBe(1);
    upstream.emit({ id: 'x', data: '"back"' });
    await expectEvent(subs, 'back', 'x');
    for (const c of subs) expect(c.closeCode).toBeUndefined();
  }, 20_000);
});
