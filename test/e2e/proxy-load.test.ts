// 1,000 concurrent clients through one proxy while the upstream is SIGKILLed and restarted
// mid-stream: counted the Jepsen way (sent, received, lost after the drop was seen, unknown,
// duplicates, reorders). Zero loss after the drop was seen and zero duplicates are required.
import { afterAll, describe, expect, it } from 'vitest';
import { ProxyProcess, TestClient, Upstream, stopAll, until } from '../support/proxy-harness.js';

const CLIENTS = 1_000;
const SEND_EVERY_MS = 500;

afterAll(stopAll);

interface Tracked {
  readonly client: TestClient;
  nextSeq: number;
  /** First sequence number sent after the proxy had seen the upstream drop. */
  firstAfterDrop: number;
}

async function upstreamLosses(proxy: ProxyProcess): Promise<number> {
  const { body } = await proxy.get('/metrics');
  return body
    .split('\n')
    .filter((l) => l.startsWith('switchboard_proxy_upstream_losses_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('switchboard proxy under load', () => {
  it('loses nothing sent after the drop was seen and duplicates nothing, across 1,000 clients and an upstream restart', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, '--retry-interval', '200', '--max-retries', '100', '--ping-interval', '2000', '--pong-timeout', '2000']);

    const tracked: Tracked[] = [];
    for (let batch = 0; batch < CLIENTS; batch += 100) {
      const opened = await Promise.all(Array.from({ length: 100 }, (_, i) => TestClient.open(proxy.url(`/?connectionId=load-${batch + i}`))));
      for (const client of opened) tracked.push({ client, nextSeq: 0, firstAfterDrop: Number.POSITIVE_INFINITY });
    }
    await until(() => upstream.connections().length === CLIENTS, 10_000, 'every upstream connection');

    const tick = (): void => {
      for (const t of tracked) {
        t.client.ws.send(String(t.nextSeq));
        t.nextSeq += 1;
      }
    };
    tick();
    const sender = setInterval(tick, SEND_EVERY_MS);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await upstream.kill('SIGKILL');
      await until(async () => (await upstreamLosses(proxy)) >= CLIENTS, 10_000, 'the proxy to see every upstream drop');
      for (const t of tracked) t.firstAfterDrop = t.nextSeq;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await Upstream.start(upstream.port);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      clearInterval(sender);
    }

    const received = (t: Tracked): number[] => t.client.received.map((m) => Number(m.data.toString()));
    const complete = (t: Tracked): boolean => {
      const got = new Set(received(t));
      for (let s = t.firstAfterDrop; s < t.nextSeq; s += 1) if (!got.has(s)) return false;
      return true;
    };
    await until(() => tracked.every(complete), 15_000, 'every frame sent after the drop to come back').catch(() => undefined);

    const counts = { clients: CLIENTS, sent: 0, received: 0, sentAfterDrop: 0, lostAfterDrop: 0, unknownBeforeDrop: 0, duplicates: 0, reordered: 0 };
    for (const t of tracked) {
      const seqs = received(t);
      const seen = new Set<number>();
      let last = -1;
      for (const s of seqs) {
        if (seen.has(s)) counts.duplicates += 1;
        if (s <= last) counts.reordered += 1;
        seen.add(s);
        last = Math.max(last, s);
      }
      counts.sent += t.nextSeq;
      counts.received += seqs.length;
      for (let s = 0; s < t.nextSeq; s += 1) {
        if (s >= t.firstAfterDrop) {
          counts.sentAfterDrop += 1;
          if (!seen.has(s)) counts.lostAfterDrop += 1;
        } else if (!seen.has(s)) {
          counts.unknownBeforeDrop += 1;
        }
      }
    }
    console.log('proxy load counts', JSON.stringify(counts));
    expect(counts.sentAfterDrop).toBeGreaterThan(0);
    expect(counts.lostAfterDrop).toBe(0);
    expect(counts.duplicates).toBe(0);
    expect(counts.reordered).toBe(0);
    expect(await proxy.metric('switchboard_proxy_upstream_reconnects_total')).toBe(CLIENTS);
  });
});
