import { describe, expect, it } from 'vitest';
import { describePresenceContract } from '../contract/presence.contract.js';
import { MemoryPresence } from './memory-presence.js';
import { asConnectionId, asNodeId, asUserId } from '../../core/ids.js';

describePresenceContract('memory', () => {
  const shared = new MemoryPresence();
  return { node: () => shared };
});

describe('MemoryPresence', () => {
  it('expires on its clock', async () => {
    let now = 1_000;
    const presence = new MemoryPresence({ clock: () => now });
    const node = asNodeId('n');
    const epoch = await presence.registerNode(node, 100);
    await presence.addConnection(asUserId('u'), asConnectionId('c'), node, epoch);
    expect(await presence.nodes()).toEqual([{ nodeId: node, connections: 1, expiresAt: 1_100 }]);
    expect(await presence.expireNodes(1_099)).toEqual([]);
    now = 1_100;
    expect(await presence.expireNodes(now)).toEqual([{ nodeId: node, offline: ['u'] }]);
  });
});
