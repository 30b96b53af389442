import { describe, expect, it } from 'vitest';
import type { Scheduler } from '../ports.js';
import { PresenceOrder } from './presence-order.js';

/** A scheduler driven by hand: `advance(ms)` runs what is due. */
function manualScheduler(): Scheduler & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    after(ms, fn) {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    pending: () => timers.length,
  };
}

function setup(options: { maxTracked?: number; maxHeld?: number } = {}) {
  const scheduler = manualScheduler();
  const delivered: string[] = [];
  const order = new PresenceOrder<string>((v) => delivered.push(v), { scheduler, holdMs: 250, ...options });
  return { scheduler, delivered, order };
}

describe('PresenceOrder', () => {
  it('delivers events that come in order at once', () => {
    const { delivered, order, scheduler } = setup();
    order.accept('m', 'k', 7, 'on7');
    order.accept('m', 'k', 8, 'off8');
    order.accept('m', 'k', 9, 'on9');
    expect(delivered).toEqual(['on7', 'off8', 'on9']);
    expect(scheduler.pending()).toBe(0);
  });

  it('puts two swapped events back in order without waiting for the timeout', () => {
    const { delivered, order, scheduler } = setup();
    order.accept('m', 'k', 1, 'on1');
    order.accept('m', 'k', 3, 'on3'); // overtook 2
    expect(delivered).toEqual(['on1']);
    order.accept('m', 'k', 2, 'off2');
    expect(delivered).toEqual(['on1', 'off2', 'on3']);
    expect(scheduler.pending()).toBe(0);
    scheduler.advance(1_000);
    expect(delivered).toEqual(['on1', 'off2', 'on3']);
  });

  it('delivers what waits for a lost event after the hold, in order, and then goes on from there', () => {
    const { delivered, order, scheduler } = setup();
    order.accept('m', 'k', 1, 'on1');
    order.accept('m', 'k', 4, 'off4');
    order.accept('m', 'k', 3, 'on3');
    scheduler.advance(249);
    expect(delivered).toEqual(['on1']);
    scheduler.advance(1);
    expect(delivered).toEqual(['on1', 'on3', 'off4']);
    order.accept('m', 'k', 2, 'off2'); // the lost one, too late: older than what was delivered
    order.accept('m', 'k', 5, 'on5');
    expect(delivered).toEqual(['on1', 'on3', 'off4', 'on5']);
    expect(order.dropped).toBe(1);
  });

  it('drops duplicates, delivered or held', () => {
    const { delivered, order, scheduler } = setup();
    order.accept('m', 'k', 1, 'on1');
    order.accept('m', 'k', 1, 'on1 again');
    order.accept('m', 'k', 3, 'on3');
    order.accept('m', 'k', 3, 'on3 again');
    order.accept('m', 'k', 2, 'off2');
    scheduler.advance(1_000);
    expect(delivered).toEqual(['on1', 'off2', 'on3']);
    expect(order.dropped).toBe(2);
  });

  it('keeps pairs apart', () => {
    const { delivered, order } = setup();
    order.accept('master', 'alice', 1, 'alice1');
    order.accept('master', 'bob', 5, 'bob5');
    order.accept('master', 'alice', 3, 'alice3');
    order.accept('master', 'bob', 6, 'bob6');
    order.accept('master', 'alice', 2, 'alice2');
    expect(delivered).toEqual(['alice1', 'bob5', 'bob6', 'alice2', 'alice3']);
  });

  it('holds at most maxHeld events per pair: one more delivers them in order at once', () => {
    const { delivered, order, scheduler } = setup({ maxHeld: 3 });
    order.accept('m', 'k', 1, 'g1');
    for (const g of [5, 3, 4]) order.accept('m', 'k', g, `g${g}`);
    expect(delivered).toEqual(['g1']);
    order.accept('m', 'k', 6, 'g6');
    expect(delivered).toEqual(['g1', 'g3', 'g4', 'g5', 'g6']);
    expect(scheduler.pending()).toBe(0);
    order.accept('m', 'k', 7, 'g7');
    expect(delivered.at(-1)).toBe('g7');
  });

  it('remembers at most maxTracked pairs, forgetting the least recently used (its held events delivered on the way out)', () => {
    const { delivered, order, scheduler } = setup({ maxTracked: 2 });
    order.accept('m', 'a', 1, 'a1');
    order.accept('m', 'b', 1, 'b1');
    order.accept('m', 'a', 3, 'a3'); // held; a is now the most recently used
    order.accept('m', 'c', 1, 'c1'); // forgets b
    expect(order.tracked).toBe(2);
    order.accept('m', 'd', 1, 'd1'); // forgets a: its held a3 goes out first
    expect(delivered).toEqual(['a1', 'b1', 'c1', 'a3', 'd1']);
    expect(scheduler.pending()).toBe(0);
    // A forgotten pair starts again from whatever comes.
    order.accept('m', 'b', 1, 'b1 again');
    expect(delivered.at(-1)).toBe('b1 again');
    expect(order.tracked).toBe(2);
  });

  it('forgets a recipient’s pairs, delivering what they held; the next event then comes as it is', () => {
    const { delivered, order, scheduler } = setup();
    order.accept('m1', 'a', 1, 'm1a1');
    order.accept('m1', 'a', 3, 'm1a3');
    order.accept('m2', 'a', 1, 'm2a1');
    order.forget('m1');
    expect(delivered).toEqual(['m1a1', 'm2a1', 'm1a3']);
    expect(order.tracked).toBe(1);
    expect(scheduler.pending()).toBe(0);
    order.accept('m1', 'a', 9, 'm1a9');
    expect(delivered.at(-1)).toBe('m1a9');
  });
});
