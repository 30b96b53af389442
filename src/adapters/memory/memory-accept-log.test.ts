import { describe, expect, it } from 'vitest';
import type { UserId } from '../../core/ids.js';
import { describeAcceptLogContract } from '../contract/accept-log.contract.js';
import { MemoryAcceptLog } from './memory-accept-log.js';

describeAcceptLogContract('memory', () => {
  let shared: MemoryAcceptLog | undefined;
  // One instance per namespace (the first node's times), shared by every node of it.
  return { node: (times) => (shared ??= new MemoryAcceptLog(times)) };
});

describe('MemoryAcceptLog', () => {
  it('stays within its bound, forgetting the oldest first', async () => {
    const log = new MemoryAcceptLog({ maxEntries: 3, clock: () => 0 });
    await log.start();
    for (let i = 0; i < 10; i++) {
      expect((await log.take('demo-1' as UserId, `r${i}`, `${i}`)).kind).toBe('new');
      await log.settle('demo-1' as UserId, `r${i}`, `{"type":"MESSAGE_ACCEPTED","data":{"reference":"r${i}","id":"${i}"}}`);
    }
    expect(log.size).toBe(3);
    expect((await log.take('demo-1' as UserId, 'r9', 'x')).kind).toBe('answered');
    expect((await log.take('demo-1' as UserId, 'r0', 'x')).kind).toBe('new');
  });
});
