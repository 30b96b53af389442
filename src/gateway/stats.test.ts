import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGatewayMetrics } from './metrics.js';
import { bucketQuantile, createConsoleStats, rates } from './stats.js';

describe('bucketQuantile', () => {
  const bounds = [1, 2, 5, 10];

  it('interpolates inside the bucket that holds the rank', () => {
    // 10 observations in (1, 2], 10 in (2, 5]: the median is the top of the first, p99 near 5.
    const after = [0, 10, 20, 20, 20];
    expect(bucketQuantile(bounds, [], after, 0.5)).toBe(2);
    expect(bucketQuantile(bounds, [], after, 0.99)).toBeCloseTo(4.94, 2);
    expect(bucketQuantile(bounds, [], after, 0.25)).toBeCloseTo(1.5, 5);
  });

  it('counts only what was observed between the two snapshots', () => {
    const before = [0, 10, 10, 10, 10];
    const after = [0, 10, 10, 20, 20];
    expect(bucketQuantile(bounds, before, after, 0.5)).toBeCloseTo(7.5, 5);
  });

  it('answers the last bound past it, and null when nothing was observed', () => {
    expect(bucketQuantile(bounds, [], [0, 0, 0, 0, 4], 0.5)).toBe(10);
    expect(bucketQuantile(bounds, [1, 2, 3, 4, 4], [1, 2, 3, 4, 4], 0.5)).toBeNull();
  });
});

describe('rates', () => {
  it('divides each counter’s growth by the seconds between the samples', () => {
    const r = rates(new Map([['MESSAGE/FAST', 10]]), new Map([['MESSAGE/FAST', 30], ['MESSAGE/RELIABLE', 4]]), 2);
    expect(r).toEqual({ 'MESSAGE/FAST': 10, 'MESSAGE/RELIABLE': 2 });
    expect(rates(new Map(), new Map([['x', 1]]), 0)).toEqual({});
  });
});

describe('createConsoleStats', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const metrics = createGatewayMetrics();
    let ready = true;
    const stats = createConsoleStats({
      registry: metrics.registry,
      nodeId: 'n1',
      backends: { store: { name: 'sqlite', isReady: () => ready }, bus: { name: 'memory', isReady: () => true } },
      windowSamples: 5,
      maxSamples: 20,
      idleStopMs: 60_000,
    });
    return { metrics, stats, setReady: (r: boolean) => (ready = r) };
  }

  it('reports counts, messages/s by feature over the window, latency quantiles and backend health', async () => {
    const { metrics, stats, setReady } = setup();
    metrics.connectionOpened();
    metrics.connectionOpened();
    metrics.usersOnline(2);
    const first = await stats.snapshot();
    expect(first).toMatchObject({ nodeId: 'n1', connections: 2, usersOnline: 2, messagesPerSec: {}, nodes: [{ nodeId: 'n1', connections: 2 }] });
    expect(first.latency.p50).toEqual([null]);

    // 5 s of 10 FAST and 2 RELIABLE messages a second, delivered in 3 ms.
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 10; i++) metrics.messageRouted('MESSAGE', 'FAST');
      for (let i = 0; i < 2; i++) metrics.messageRouted('MESSAGE', 'RELIABLE');
      for (let i = 0; i < 12; i++) metrics.deliveryLatency(3);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    setReady(false);
    const body = await stats.snapshot();
    expect(body.messagesPerSec).toEqual({ FAST: 10, RELIABLE: 2 });
    expect(body.messagesPerSecByType).toEqual({ 'MESSAGE/FAST': 10, 'MESSAGE/RELIABLE': 2 });
    expect(body.windowSec).toBe(5);
    expect(body.latency.t).toHaveLength(6);
    const p50 = body.latency.p50.at(-1)!;
    expect(p50).toBeGreaterThan(2.5);
    expect(p50).toBeLessThanOrEqual(5);
    expect(body.backends).toEqual([
      { role: 'store', name: 'sqlite', ready: false },
      { role: 'bus', name: 'memory', ready: true },
    ]);
    stats.stop();
  });

  it('keeps at most maxSamples and stops sampling when nobody asks', async () => {
    const { stats } = setup();
    await stats.snapshot();
    await vi.advanceTimersByTimeAsync(30_000);
    expect((await stats.snapshot()).latency.t).toHaveLength(20);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(vi.getTimerCount()).toBe(0);
    // Asked again: sampling starts afresh.
    expect((await stats.snapshot()).latency.t).toHaveLength(1);
    stats.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lists the cluster’s nodes when given, and this node when that fails', async () => {
    const metrics = createGatewayMetrics();
    let fail = false;
    const stats = createConsoleStats({
      registry: metrics.registry,
      nodeId: 'n1',
      backends: {},
      nodes: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve([{ nodeId: 'n1', connections: 3 }, { nodeId: 'n2', connections: 4 }])),
    });
    expect((await stats.snapshot()).nodes).toHaveLength(2);
    fail = true;
    expect((await stats.snapshot()).nodes).toEqual([{ nodeId: 'n1', connections: 0 }]);
    stats.stop();
  });
});
