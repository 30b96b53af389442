import { describe, expect, it } from 'vitest';
import { AppendBatcher } from './postgres-append-batcher.js';
import { message } from '../contract/message-store.contract.js';
import { asUserId } from '../../core/ids.js';
import type { StoredEntry } from '../../core/ports.js';

/** A send that records batches and settles them when told. */
function recorder() {
  const sent: { entries: readonly StoredEntry[]; settle: (ok: boolean) => void }[] = [];
  const send = (entries: readonly StoredEntry[]): Promise<void> =>
    new Promise((resolve, reject) => sent.push({ entries, settle: (ok) => (ok ? resolve() : reject(new Error('boom'))) }));
  return { sent, send };
}
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AppendBatcher', () => {
  it('batches appends of one turn, and never puts a busy recipient in a second batch in flight', async () => {
    const { sent, send } = recorder();
    const batcher = new AppendBatcher({ maxBatch: 100, maxQueued: 1_000, maxInFlight: 4, send });
    const [a, b, c] = [asUserId('demo-1'), asUserId('demo-2'), asUserId('demo-3')];
    const first = [batcher.append([message(a)])!, batcher.append([message(b)])!];
    await tick();
    expect(sent).toHaveLength(1);
    const second = [batcher.append([message(a)])!, batcher.append([message(c)])!, batcher.append([message(c)])!];
    await tick();
    // a is in flight: the a append waits; c goes in a batch of its own, in flight beside the first.
    expect(sent.map((s) => s.entries.map((e) => e.to))).toEqual([[a, b], [c, c]]);
    sent[0]!.settle(true);
    await Promise.all(first);
    await tick();
    expect(sent.map((s) => s.entries.map((e) => e.to))).toEqual([[a, b], [c, c], [a]]);
    sent[1]!.settle(false);
    sent[2]!.settle(true);
    const results = await Promise.allSettled(second);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await batcher.whenIdle();
  });

  it('bounds batch size and the queue', async () => {
    const { sent, send } = recorder();
    const batcher = new AppendBatcher({ maxBatch: 3, maxQueued: 5, maxInFlight: 1, send });
    const appends = Array.from({ length: 5 }, (_, i) => batcher.append([message(asUserId(`demo-${i}`))])!);
    expect(batcher.append([message(asUserId('demo-9'))])).toBeUndefined();
    await tick();
    expect(sent.map((s) => s.entries.length)).toEqual([3]);
    sent[0]!.settle(true);
    await tick();
    expect(sent.map((s) => s.entries.length)).toEqual([3, 2]);
    sent[1]!.settle(true);
    await Promise.all(appends);
    await batcher.whenIdle();
  });
});
