import { describe, expect, it } from 'vitest';
import { MemoryLease } from '../../adapters/memory/memory-lease.js';
import { asAppId, asNodeId, type NodeId } from '../ids.js';
import { noopMetrics, silentLogger, type Lease, type NodeInfo } from '../ports.js';
import type { Services } from '../services.js';
import { SseBridges } from './sse-bridge.js';
import { noopTopicMetrics, type UpstreamHandlers } from './topic-ports.js';

/** Manual time: timers run when the test advances the clock. */
class FakeTime {
  now = 1_000;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;
  readonly clock = (): number => this.now;
  readonly scheduler = {
    after: (ms: number, fn: () => void) => {
      const id = this.#next++;
      this.#timers.push({ at: this.now + ms, fn, id });
      return () => {
        this.#timers = this.#timers.filter((t) => t.id !== id);
      };
    },
  };
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await flush();
      this.#timers.sort((a, b) => a.at - b.at);
      const t = this.#timers[0];
      if (t === undefined || t.at > end) break;
      this.#timers.shift();
      this.now = Math.max(this.now, t.at);
      t.fn();
    }
    this.now = end;
    await flush();
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** A lease a test can cut off for one node (its calls reject, as when the node is dead or partitioned). */
function cutOff(lease: Lease): Lease & { dead: boolean } {
  const fail = () => Promise.reject(new Error('node is dead'));
  const wrapped = {
    dead: false,
    name: 'wrapped',
    start: () => lease.start(),
    close: () => lease.close(),
    isReady: () => lease.isReady(),
    acquire: (n: string, h: string, t: number) => (wrapped.dead ? fail() : lease.acquire(n, h, t)),
    renew: (n: string, h: string, tok: number, t: number) => (wrapped.dead ? fail() : lease.renew(n, h, tok, t)),
    release: (n: string, h: string, tok: number) => (wrapped.dead ? fail() : lease.release(n, h, tok)),
  };
  return wrapped;
}

interface Upstream {
  opened: { node: NodeId; lastEventId: string | undefined; closed: boolean; handlers: UpstreamHandlers }[];
  open(): number;
}

function setup(nodeIds: string[], lingerMs = 3_000) {
  const time = new FakeTime();
  const memory = new MemoryLease({ clock: time.clock });
  const upstream: Upstream = { opened: [], open: () => upstream.opened.filter((s) => !s.closed).length };
  const nodes: NodeInfo[] = nodeIds.map((n) => ({ nodeId: asNodeId(n), connections: 0, expiresAt: Number.MAX_SAFE_INTEGER }));
  const published: { node: string; dataJson: string; eventId: string | undefined }[] = [];
  const bridges = nodeIds.map((n) => {
    const lease = cutOff(memory);
    const services = {
      nodeId: asNodeId(n),
      lease,
      presence: { nodes: () => Promise.resolve(nodes) },
      scheduler: time.scheduler,
      clock: time.clock,
      logger: silentLogger,
      metrics: noopMetrics,
    } as unknown as Services;
    const bridge = new SseBridges({
      services,
      lingerMs,
      timings: {},
      metrics: noopTopicMetrics,
      openUpstream: (_url, lastEventId, handlers) => {
        const s = { node: asNodeId(n), lastEventId, closed: false, handlers };
        upstream.opened.push(s);
        queueMicrotask(() => handlers.opened());
        return { close: () => (s.closed = true) };
      },
      publish: (_appId, _topic, dataJson, eventId) => {
        published.push({ node: n, dataJson, eventId });
        return Promise.resolve({ ok: true });
      },
    });
    return { bridge, lease };
  });
  return { time, upstream, bridges, published, nodes };
}

const APP = asAppId('app');

describe('SseBridges', () => {
  it('opens one stream for two interested nodes and keeps it while either is interested', async () => {
    const { time, upstream, bridges } = setup(['a', 'b']);
    bridges[0]!.bridge.wanted(APP, 't', 'http://u');
    bridges[1]!.bridge.wanted(APP, 't', 'http://u');
    await time.advance(5_000);
    expect(upstream.opened).toHaveLength(1);
    const holder = bridges.findIndex((b) => b.bridge.holds(APP, 't'));
    bridges[holder]!.bridge.unwanted(APP, 't');
    await time.advance(10_000);
    // The other node is still interested: the holder keeps the stream for it.
    expect(upstream.open()).toBe(1);
    bridges[1 - holder]!.bridge.unwanted(APP, 't');
    await time.advance(2_000);
    expect(upstream.open()).toBe(1);
    await time.advance(2_000);
    expect(upstream.open()).toBe(0);
  });

  it('moves the stream to another interested node when the holder dies without releasing, resuming from the last event id seen', async () => {
    const { time, upstream, bridges, published } = setup(['a', 'b']);
    for (const b of bridges) b.bridge.wanted(APP, 't', 'http://u');
    await time.advance(2_000);
    const holder = bridges.findIndex((b) => b.bridge.holds(APP, 't'));
    const other = bridges[1 - holder]!;
    upstream.opened[0]!.handlers.event({ data: '{"n":1}', id: '41', event: undefined });
    expect(published).toEqual([{ node: ['a', 'b'][holder], dataJson: '{"n":1}', eventId: '41' }]);
    other.bridge.observed(APP, 't', '{"type":"PUBLICATION","data":{"topic":"t","data":{"n":1},"eventId":"41"}}');
    // The holder dies: its lease calls fail and it renews no more.
    bridges[holder]!.lease.dead = true;
    const diedAt = time.now;
    await time.advance(7_000);
    expect(other.bridge.holds(APP, 't')).toBe(true);
    const takeover = upstream.opened[1]!;
    expect(takeover.lastEventId).toBe('41');
    expect(takeover.node).toBe(['a', 'b'][1 - holder]);
    // The dead holder closed its own stream once it could not renew for a whole ttl: never two for long.
    expect(upstream.opened[0]!.closed).toBe(true);
    expect(upstream.open()).toBe(1);
    expect(time.now - diedAt).toBeLessThan(10_000);
  });

  it('reconnects after a drop with backoff and Last-Event-ID, and an upstream retry sets the delay', async () => {
    const { time, upstream, bridges } = setup(['a']);
    bridges[0]!.bridge.wanted(APP, 't', 'http://u');
    await time.advance(100);
    const first = upstream.opened[0]!;
    first.handlers.event({ data: 'x', id: '7', event: undefined });
    first.handlers.retry(3_000);
    first.handlers.closed('cut');
    await time.advance(1_400);
    expect(upstream.opened).toHaveLength(1);
    await time.advance(1_700);
    expect(upstream.opened).toHaveLength(2);
    expect(upstream.opened[1]!.lastEventId).toBe('7');
  });

  it('closes after the linger when the last local subscriber leaves on a single node, not before', async () => {
    const { time, upstream, bridges } = setup(['a'], 5_000);
    bridges[0]!.bridge.wanted(APP, 't', 'http://u');
    await time.advance(100);
    bridges[0]!.bridge.unwanted(APP, 't');
    await time.advance(4_900);
    expect(upstream.open()).toBe(1);
    // A subscriber comes back within the linger: the stream stays.
    bridges[0]!.bridge.wanted(APP, 't', 'http://u');
    await time.advance(6_000);
    expect(upstream.open()).toBe(1);
    expect(upstream.opened).toHaveLength(1);
    bridges[0]!.bridge.unwanted(APP, 't');
    await time.advance(5_100);
    expect(upstream.open()).toBe(0);
  });
});
