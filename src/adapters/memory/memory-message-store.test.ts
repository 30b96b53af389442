import { describe, expect, it } from 'vitest';
import { describeMessageStoreContract, message } from '../contract/message-store.contract.js';
import { MemoryMessageStore } from './memory-message-store.js';
import { asUserId } from '../../core/ids.js';

describeMessageStoreContract('memory', () => new MemoryMessageStore());

describe('MemoryMessageStore', () => {
  it('forgets delivered entries after the retention time, then accepts their id again', async () => {
    let now = 1_000;
    const store = new MemoryMessageStore({ deliveredRetentionMs: 500, clock: () => now });
    await store.start();
    const alice = asUserId('demo-1');
    const [a, b] = [message(alice), message(alice)];
    await store.append([a, b]);
    await store.markDelivered(alice, [a.id]);
    now += 499;
    expect(await store.prune()).toBe(0);
    expect(await store.status(alice, a.id)).toBe('DELIVERED');
    now += 1;
    expect(await store.prune()).toBe(1);
    expect(await store.status(alice, a.id)).toBeUndefined();
    expect(await store.status(alice, b.id)).toBe('NONE');
    await store.close();
  });

  it('rejects with a BackendError after close', async () => {
    const store = new MemoryMessageStore();
    await store.start();
    await store.close();
    await expect(store.append([message(asUserId('demo-1'))])).rejects.toMatchObject({ name: 'BackendError', backend: 'memory' });
  });

  it('refuses a negative retention', () => {
    expect(() => new MemoryMessageStore({ deliveredRetentionMs: -1 })).toThrow(RangeError);
  });
});
