import { describe, expect, it } from 'vitest';
import type { ConnectionId } from './ids.js';
import { RateLimiter } from './rate-limiter.js';
import { ReadThrottle } from './read-throttle.js';
import type { Transport } from './transport.js';

/** A transport that records pause/resume, a clock and a scheduler driven by hand. */
function rig() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const log: string[] = [];
  const wire = { id: 'c1' as ConnectionId, pause: () => log.push('pause'), resume: () => log.push('resume') } as unknown as Transport;
  const scheduler = {
    after: (ms: number, fn: () => void) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => void timers.splice(timers.indexOf(t), 1);
    },
  };
  const advance = (ms: number): void => {
    now += ms;
    for (let t = timers.find((x) => x.at <= now); t !== undefined; t = timers.find((x) => x.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  const metrics = { paused: 0, reasons: [] as string[], readPaused: (r: string) => (metrics.paused++, void metrics.reasons.push(r)), readResumed: () => void metrics.paused-- };
  return { wire, scheduler, clock: () => now, advance, log, metrics, timers };
}

describe('ReadThrottle metrics', () => {
  it('counts a pause over the rate once, and its end once, however many frames arrive while paused', () => {
    const r = rig();
    const throttle = new ReadThrottle(r.wire, r.scheduler, r.clock, new RateLimiter(10, 0), r.metrics);
    for (let i = 0; i < 20; i++) expect(throttle.admit()).toBe(true); // the burst of 2 s passes
    expect(r.metrics.reasons).toEqual([]);
    for (let i = 0; i < 5; i++) expect(throttle.admit()).toBe(true); // already-read frames go on, in debt
    expect(r.log).toEqual(['pause']);
    expect(r.metrics.reasons).toEqual(['rate']);
    expect(r.metrics.paused).toBe(1);
    r.advance(1_000);
    expect(r.log).toEqual(['pause', 'resume']);
    expect(r.metrics.paused).toBe(0);
    expect(r.metrics.reasons).toEqual(['rate']);
  });

  it('labels a hold behind a slow reader, and a close while paused ends the pause', () => {
    const r = rig();
    const throttle = new ReadThrottle(r.wire, r.scheduler, r.clock, undefined, r.metrics);
    let blocked = true;
    throttle.holdWhile(() => blocked);
    r.advance(200);
    expect(r.metrics.reasons).toEqual(['slow_reader']);
    expect(r.metrics.paused).toBe(1);
    expect(throttle.paused).toBe(true);
    throttle.stop();
    throttle.stop();
    expect(r.metrics.paused).toBe(0);
    expect(r.timers).toEqual([]);
    blocked = false;
  });
});
