import { describe, expect, it } from 'vitest';
import { MemoryLease } from '../../adapters/memory/memory-lease.js';
import type { Scheduler } from '../ports.js';
import { LeasedLoop, leaseTtlMs } from './leased-loop.js';

/** A scheduler and clock driven by the test: `advance(ms)` fires what falls due, in order. */
function fakeTime() {
  let now = 1_000_000;
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 0;
  const scheduler: Scheduler = {
    after(ms, fn) {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return () => (timers = timers.filter((t) => t.id !== id));
    },
  };
  const flush = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return {
    scheduler,
    clock: () => now,
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (t === undefined || t.at > end) break;
        timers.shift();
        now = Math.max(now, t.at);
        t.fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
}

function loop(time: ReturnType<typeof fakeTime>, lease: MemoryLease, holder: string, turns: string[]) {
  return new LeasedLoop({
    name: 'job:demo:demo-1:sessions',
    holder,
    everyMs: 1_000,
    lease,
    scheduler: time.scheduler,
    clock: time.clock,
    random: () => 0.5,
    turn: () => {
      turns.push(holder);
      return Promise.resolve();
    },
    held: () => undefined,
    failed: (err) => {
      throw err;
    },
  });
}

describe('LeasedLoop', () => {
  it('runs once per period on one holder only', async () => {
    const time = fakeTime();
    const lease = new MemoryLease({ clock: time.clock });
    const turns: string[] = [];
    const a = loop(time, lease, 'a', turns);
    const b = loop(time, lease, 'b', turns);
    a.start(0);
    b.start(10);
    await time.advance(10_000);
    expect(turns.filter((t) => t === 'a')).toHaveLength(11);
    expect(turns.filter((t) => t === 'b')).toHaveLength(0);
  });

  it('a holder that was paused past its lease does not run on waking; the other took over', async () => {
    const time = fakeTime();
    const lease = new MemoryLease({ clock: time.clock });
    const turns: string[] = [];
    // a2's timers run on a scheduler of their own: while it is not advanced, a2 is paused (SIGSTOP).
    const paused = fakeTime();
    const a2 = new LeasedLoop({ name: 'x', holder: 'a', everyMs: 1_000, lease, scheduler: paused.scheduler, clock: time.clock, random: () => 0.5, turn: () => (turns.push('a2'), Promise.resolve()), held: () => undefined, failed: () => undefined });
    a2.start(0);
    await paused.advance(0); // a2 acquires `x` and runs once
    const b = new LeasedLoop({ name: 'x', holder: 'b', everyMs: 1_000, lease, scheduler: time.scheduler, clock: time.clock, random: () => 0.5, turn: () => (turns.push('b'), Promise.resolve()), held: () => undefined, failed: () => undefined });
    b.start(0);
    await time.advance(leaseTtlMs(1_000) + 1_000); // a2 is paused: its lease lapses, b takes it
    expect(turns.filter((t) => t === 'b').length).toBeGreaterThan(0);
    const a2Runs = turns.filter((t) => t === 'a2').length;
    await paused.advance(1_000); // a2 wakes: its renewal is refused
    expect(turns.filter((t) => t === 'a2').length).toBe(a2Runs);
    expect(a2.isHolder).toBe(false);
  });

  it('stop releases the lease so another candidate takes it at its next try', async () => {
    const time = fakeTime();
    const lease = new MemoryLease({ clock: time.clock });
    const turns: string[] = [];
    const a = loop(time, lease, 'a', turns);
    const b = loop(time, lease, 'b', turns);
    a.start(0);
    b.start(10);
    await time.advance(1_500);
    await a.stop();
    await time.advance(1_100);
    expect(b.isHolder).toBe(true);
    expect(turns.filter((t) => t === 'b').length).toBeGreaterThan(0);
  });
});
