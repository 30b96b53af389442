import { describe, expect, it } from 'vitest';
import { PublishBatcher } from './redis-publish-batcher.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PublishBatcher', () => {
  it('sends what one channel got in one turn as one JSON array, and a lone payload as itself', async () => {
    const sent: [string, string][] = [];
    const batcher = new PublishBatcher((name, payload) => (sent.push([name, payload as string]), Promise.resolve()), 64, 1_000_000);
    const done = [batcher.add('a', '1'), batcher.add('a', '2'), batcher.add('b', '3'), batcher.add('a', '4')];
    expect(sent).toEqual([]);
    await Promise.all(done);
    expect(sent).toEqual([
      ['a', '[1,2,4]'],
      ['b', '3'],
    ]);
  });

  it('starts a new batch when one is full (by count or by bytes), keeping order', async () => {
    const sent: string[] = [];
    const batcher = new PublishBatcher((_name, payload) => (sent.push(payload as string), Promise.resolve()), 2, 5);
    for (const p of ['1', '2', '3', '4444', '5']) void batcher.add('a', p);
    await turn();
    expect(sent).toEqual(['[1,2]', '[3,4444]', '5']);
  });

  it('rejects every publish of a batch whose PUBLISH failed', async () => {
    const batcher = new PublishBatcher(() => Promise.reject(new Error('down')), 64, 1_000);
    const results = await Promise.allSettled([batcher.add('a', '1'), batcher.add('a', '2')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('tells its hooks once per batch how many deliveries and bytes settled, and gives every caller of a failed batch the one mapped error', async () => {
    const settled: [number, number][] = [];
    const failures: unknown[] = [];
    const batcher = new PublishBatcher((name) => (name === 'bad' ? Promise.reject(new Error('down')) : Promise.resolve()), 2, 1_000, undefined, undefined, 0, {
      settled: (deliveries, bytes) => settled.push([deliveries, bytes]),
      failure: (error) => {
        failures.push(error);
        return new Error('mapped', { cause: error });
      },
    });
    const results = await Promise.allSettled([batcher.add('a', '11'), batcher.add('a', '222'), batcher.add('a', '3'), batcher.add('bad', '4444'), batcher.add('bad', '5')]);
    expect(settled.sort()).toEqual([
      [1, 1],
      [2, 5],
      [2, 5],
    ]);
    expect(failures).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
    expect(rejected.map((e) => e.message)).toEqual(['mapped', 'mapped']);
    expect(rejected[0]).toBe(rejected[1]);
  });

  it('sends open batches at once on flushAll', () => {
    const sent: string[] = [];
    const batcher = new PublishBatcher((_name, payload) => (sent.push(payload as string), Promise.resolve()), 64, 1_000);
    void batcher.add('a', '1');
    batcher.flushAll();
    expect(sent).toEqual(['1']);
  });

  it('hands the batches of several channels flushed in one turn to sendAll together, in order, each with its own result', async () => {
    const single: string[] = [];
    const all: (readonly (readonly [string, string | Buffer])[])[] = [];
    const batcher = new PublishBatcher(
      (_name, payload) => (single.push(payload as string), Promise.resolve()),
      64,
      1_000,
      undefined,
      (list) => (all.push(list), list.map(([name]) => (name === 'bad' ? Promise.reject(new Error('no')) : Promise.resolve()))),
    );
    const results = await Promise.allSettled([batcher.add('a', '1'), batcher.add('bad', '2'), batcher.add('a', '3'), batcher.add('c', '4')]);
    expect(all).toEqual([
      [
        ['a', '[1,3]'],
        ['bad', '2'],
        ['c', '4'],
      ],
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // One channel alone: the plain send.
    await batcher.add('a', '5');
    expect(single).toEqual(['5']);
  });
});
