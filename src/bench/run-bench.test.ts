import { describe, expect, it } from 'vitest';
import type { BenchLink, LinkSink } from './bench-link.js';
import { runBench, type BenchRunOptions } from './run-bench.js';

const options: BenchRunOptions = {
  url: 'ws://127.0.0.1:1/ws',
  scenario: 'rate',
  protocol: 'switchboard',
  connections: 4,
  intervalMs: 10,
  ratePerSec: 2_000,
  payloadChars: 10,
  durationSec: 0.02,
  warmupSec: 0,
  feature: 'FAST',
  groupSize: 2,
  window: 3,
  concurrency: 2,
  appId: 'demo',
  appName: 'demo',
  token: 't',
  userOffset: 0,
};

/** A link that answers each send on the next microtask, as a server would (optionally badly). */
class FakeLink implements BenchLink {
  isOpen = false;
  readonly bufferedBytes = 0;
  readonly sends: number[] = [];
  constructor(
    readonly index: number,
    private readonly sink: LinkSink,
    private readonly answer: (link: FakeLink, seq: number, sentUs: number) => void,
  ) {}
  open(): Promise<void> {
    this.isOpen = true;
    return Promise.resolve();
  }
  send(seq: number, sentUs: number): void {
    this.sends.push(seq);
    queueMicrotask(() => this.answer(this, seq, sentUs));
  }
  close(): void {
    this.isOpen = false;
  }
  deliver(seq: number, sentUs: number): void {
    this.sink.delivered(this.index, seq, sentUs);
  }
  accept(seq: number, sentUs: number): void {
    this.sink.accepted(this.index, seq, sentUs);
  }
  confirm(seq: number, sentUs: number): void {
    this.sink.confirmed(this.index, seq, sentUs);
  }
  fail(code: string): void {
    this.sink.error(this.index, code);
  }
}

function withLinks(answer: (link: FakeLink, seq: number, sentUs: number) => void) {
  const links: FakeLink[] = [];
  return {
    links,
    createLink: (index: number, sink: LinkSink) => {
      const link = new FakeLink(index, sink, answer);
      links.push(link);
      return link;
    },
  };
}

describe('runBench', () => {
  it('sends the fixed schedule round-robin and matches every arrival', async () => {
    const fake = withLinks((link, seq, us) => link.deliver(seq, us));
    const r = await runBench(options, { createLink: fake.createLink, drainTimeoutMs: 200 });
    expect(r.sent).toBe(40); // 2000 msgs/s × 0.02 s
    expect(r.received).toBe(40);
    expect(r.lost).toBe(0);
    expect(r.connected).toBe(4);
    expect(fake.links.map((l) => l.sends.length)).toEqual([10, 10, 10, 10]);
    expect(fake.links[1]!.sends.slice(0, 3)).toEqual([1, 5, 9]);
    expect(r.latency.count).toBe(40);
    expect(r.latency.p50).toBeLessThanOrEqual(r.latency.max);
  });

  it('counts losses and duplicates', async () => {
    const fake = withLinks((link, seq, us) => {
      if (seq % 10 === 3) return; // lost
      link.deliver(seq, us);
      if (seq % 10 === 5) link.deliver(seq, us); // duplicated
    });
    const r = await runBench(options, { createLink: fake.createLink, drainTimeoutMs: 50 });
    expect(r.sent).toBe(40);
    expect(r.lost).toBe(4);
    expect(r.received).toBe(36);
    expect(r.duplicates).toBe(4);
  });

  it('fanout expects one delivery per group member', async () => {
    const fake = withLinks((link, seq, us) => {
      link.deliver(seq, us);
      link.deliver(seq, us);
    });
    const r = await runBench({ ...options, scenario: 'fanout', intervalMs: 5, groupSize: 2 }, { createLink: fake.createLink, drainTimeoutMs: 50 });
    expect(r.sent).toBe(32); // 4 connections × 200/s × 0.02 s × 2 recipients
    expect(r.received).toBe(32);
    expect(r.duplicates).toBe(0);
  });

  it('keeps a window in flight per connection in the max scenario, and counts errors', async () => {
    let errors = 0;
    const fake = withLinks((link, seq, us) => {
      if (seq === 0) {
        errors++;
        link.fail('RATE_LIMITED');
        return;
      }
      setTimeout(() => link.deliver(seq, us), 1);
    });
    const r = await runBench({ ...options, scenario: 'max' }, { createLink: fake.createLink, drainTimeoutMs: 200 });
    expect(errors).toBe(1);
    expect(r.errors).toEqual({ RATE_LIMITED: 1 });
    expect(r.received).toBeGreaterThan(12); // more than the first window of 4 × 3
    expect(r.lost).toBe(1); // the refused message
  });

  it('measures the offline scenario by MESSAGE_ACCEPTED only', async () => {
    const fake = withLinks((link, seq, us) => {
      link.deliver(seq, us); // ignored: offline recipients never receive
      link.accept(seq, us);
    });
    const r = await runBench({ ...options, scenario: 'offline', feature: 'FAST' }, { createLink: fake.createLink, drainTimeoutMs: 50 });
    expect(r.feature).toBe('RELIABLE');
    expect(r.received).toBe(r.sent);
    expect(r.sent).toBeGreaterThan(0);
  });

  it('counts MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION with references, and waits for late confirmations', async () => {
    const fake = withLinks((link, seq, us) => {
      link.accept(seq, us);
      link.deliver(seq, us);
      if (seq % 10 !== 7) setTimeout(() => link.confirm(seq, us), 30); // one in ten never confirmed
    });
    const r = await runBench({ ...options, references: true }, { createLink: fake.createLink, drainTimeoutMs: 300 });
    expect(r.sent).toBe(40);
    expect(r.received).toBe(40);
    expect(r.accepted).toBe(40);
    expect(r.confirmed).toBe(36);
    const plain = await runBench(options, { createLink: withLinks((link, seq, us) => link.deliver(seq, us)).createLink, drainTimeoutMs: 50 });
    expect(plain.accepted).toBeUndefined();
  });

  it('rejects with BenchError when no connection opens', async () => {
    const createLink = (index: number): BenchLink => ({
      index,
      isOpen: false,
      bufferedBytes: 0,
      open: () => Promise.reject(new Error('refused')),
      send: () => undefined,
      close: () => undefined,
    });
    await expect(runBench(options, { createLink })).rejects.toMatchObject({ name: 'BenchError' });
  });
});
