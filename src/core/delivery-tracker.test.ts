import { afterEach, describe, expect, it, vi } from 'vitest';
import { timerScheduler } from '../gateway/scheduler.js';
import { DeliveryTracker, SENT_AFTER_MS, STATUS_FLUSH_MS } from './delivery-tracker.js';
import { asConnectionId, asMessageId, asUserId, type MessageId, type UserId } from './ids.js';
import type { MessageStore } from './ports.js';
import type { Transport } from './transport.js';

/** A transport whose proof the test settles by hand. */
function fakeTransport(): Transport & { settle(proved: boolean): void } {
  const waiting: Array<(proved: boolean) => void> = [];
  return {
    id: asConnectionId('c'),
    send: () => true,
    close: () => undefined,
    proveDelivery: () => new Promise<boolean>((resolve) => waiting.push(resolve)),
    settle: (proved) => {
      for (const resolve of waiting.splice(0)) resolve(proved);
    },
  };
}

/** Records status calls; nothing else of the store is used by the tracker. */
function recordingStore(): MessageStore & { sent: MessageId[]; delivered: MessageId[] } {
  const sent: MessageId[] = [];
  const delivered: MessageId[] = [];
  const store = {
    sent,
    delivered,
    markSent: (_to: UserId, ids: readonly MessageId[]) => (sent.push(...ids), Promise.resolve()),
    markDelivered: (_to: UserId, ids: readonly MessageId[]) => (delivered.push(...ids), Promise.resolve()),
  };
  return store as unknown as MessageStore & { sent: MessageId[]; delivered: MessageId[] };
}

const tick = (ms = 25): Promise<void> => new Promise((r) => setTimeout(r, ms));
const alice = asUserId('demo-1');
const m1 = asMessageId('m1');

function make(): { tracker: DeliveryTracker; store: ReturnType<typeof recordingStore> } {
  const store = recordingStore();
  const tracker = new DeliveryTracker({ store, scheduler: timerScheduler, track: (work) => void work.catch(() => undefined) });
  return { tracker, store };
}

describe('DeliveryTracker', () => {
  it('records DELIVERED on the first proof, runs onDelivered once, and forgets the entry afterwards', async () => {
    const { tracker, store } = make();
    const a = fakeTransport();
    const b = fakeTransport();
    let confirmations = 0;
    tracker.track(alice, m1, [a, b], () => {
      confirmations++;
    });
    expect(tracker.has(alice, m1)).toBe(true);
    a.settle(true);
    b.settle(true);
    await tick();
    expect(confirmations).toBe(1);
    expect(store.delivered).toEqual([m1]);
    expect(store.sent).toEqual([]); // proven before the flush: no separate SENT update
    expect(tracker.has(alice, m1)).toBe(false);
  });

  it('keeps an entry excluded until DELIVERED is recorded', async () => {
    const { tracker } = make();
    const a = fakeTransport();
    tracker.track(alice, m1, [a]);
    a.settle(true);
    await Promise.resolve();
    expect(tracker.inFlightIds(alice).has(m1)).toBe(true);
    await tick();
    expect(tracker.inFlightIds(alice).size).toBe(0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('records SENT only for an entry still unproven SENT_AFTER_MS after its write', async () => {
    vi.useFakeTimers();
    const { tracker, store } = make();
    const a = fakeTransport();
    const b = fakeTransport();
    const m2 = asMessageId('m2');
    tracker.track(alice, m1, [a]);
    tracker.track(alice, m2, [b]);
    // m1's proof takes several DELIVERED flushes: still no SENT for it.
    await vi.advanceTimersByTimeAsync(5 * STATUS_FLUSH_MS);
    a.settle(true);
    await vi.advanceTimersByTimeAsync(2 * STATUS_FLUSH_MS);
    expect(store.delivered).toEqual([m1]);
    expect(store.sent).toEqual([]);
    // m2 stays unproven: SENT once the threshold passes.
    await vi.advanceTimersByTimeAsync(SENT_AFTER_MS);
    expect(store.sent).toEqual([m2]);
    expect(tracker.has(alice, m2)).toBe(true);
  });

  it('waits for the promise onDelivered returns before recording DELIVERED, keeping the entry in flight meanwhile', async () => {
    const { tracker, store } = make();
    const a = fakeTransport();
    let settle!: () => void;
    tracker.track(alice, m1, [a], () => new Promise<void>((resolve) => (settle = resolve)));
    a.settle(true);
    await tick(STATUS_FLUSH_MS * 3);
    expect(store.delivered).toEqual([]);
    expect(tracker.has(alice, m1)).toBe(true); // still excluded from fetches
    settle();
    await tick(STATUS_FLUSH_MS * 3);
    expect(store.delivered).toEqual([m1]);
    expect(tracker.has(alice, m1)).toBe(false);
  });

  it('leaves an entry unmarked and forgotten when the promise onDelivered returns rejects, so a fetch serves it again', async () => {
    const failures: unknown[] = [];
    const store = recordingStore();
    const tracker = new DeliveryTracker({ store, scheduler: timerScheduler, track: (work) => void work.catch((err: unknown) => failures.push(err)) });
    const a = fakeTransport();
    tracker.track(alice, m1, [a], () => Promise.reject(new Error('store down')));
    a.settle(true);
    await tick(STATUS_FLUSH_MS * 3);
    expect(store.delivered).toEqual([]);
    expect(store.sent).toEqual([]); // proven received: not an orphan to mark SENT
    expect(tracker.has(alice, m1)).toBe(false);
    expect(failures).toHaveLength(1);
  });

  it('records nothing for an entry whose onDelivered says it was never stored, and forgets it on that first proof', async () => {
    const { tracker, store } = make();
    const a = fakeTransport();
    const b = fakeTransport();
    let calls = 0;
    tracker.track(alice, m1, [a, b], () => {
      calls++;
      return false;
    });
    a.settle(true);
    await tick(1);
    expect(tracker.has(alice, m1)).toBe(false);
    b.settle(false);
    await tick(STATUS_FLUSH_MS * 3);
    expect(calls).toBe(1);
    expect(store.delivered).toEqual([]);
    expect(store.sent).toEqual([]); // proven received: not an orphan to mark SENT
  });

  it('forgets an entry whose connections all closed unproven, leaving it pending, and marks it SENT', async () => {
    vi.useFakeTimers();
    const { tracker, store } = make();
    const a = fakeTransport();
    let confirmations = 0;
    tracker.track(alice, m1, [a], () => {
      confirmations++;
    });
    await vi.advanceTimersByTimeAsync(SENT_AFTER_MS + 1);
    expect(store.sent).toEqual([m1]);
    a.settle(false);
    await vi.advanceTimersByTimeAsync(25);
    expect(tracker.has(alice, m1)).toBe(false);
    expect(store.delivered).toEqual([]);
    expect(confirmations).toBe(0);
  });

  it('marks SENT, at the next sweep, an entry whose connections closed unproven before SENT_AFTER_MS', async () => {
    vi.useFakeTimers();
    const { tracker, store } = make();
    const a = fakeTransport();
    tracker.track(alice, m1, [a]);
    await vi.advanceTimersByTimeAsync(100);
    a.settle(false);
    await vi.advanceTimersByTimeAsync(25);
    expect(tracker.has(alice, m1)).toBe(false);
    expect(store.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(SENT_AFTER_MS);
    expect(store.sent).toEqual([m1]);
    await vi.advanceTimersByTimeAsync(3 * SENT_AFTER_MS);
    expect(store.sent).toEqual([m1]); // once
  });

  it('flush writes gathered updates at once (for shutdown)', async () => {
    const { tracker, store } = make();
    tracker.track(alice, m1, [fakeTransport()]);
    expect(tracker.flush()).toBe(true);
    await Promise.resolve();
    expect(store.sent).toEqual([m1]);
    expect(tracker.flush()).toBe(false);
  });
});
