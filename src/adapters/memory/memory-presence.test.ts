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
    expect(await presence.expireNodes(now)).toEqual([{ nodeId: node, offline: [{ userId: 'u', generation: 2 }] }]);
  });

  it('forgets the oldest offline users past its bound, and still gives them growing generations', async () => {
    const presence = new MemoryPresence({ maxOfflineGenerations: 2 });
    const node = asNodeId('n');
    const epoch = await presence.registerNode(node, 60_000);
    const flap = async (user: string): Promise<number> => {
      await presence.addConnection(asUserId(user), asConnectionId(`${user}-c`), node, epoch);
      return (await presence.removeConnection(asUserId(user), asConnectionId(`${user}-c`))).generation;
    };
    expect(await flap('u1')).toBe(2);
    expect(await flap('u1')).toBe(4);
    await flap('u2');
    await flap('u3'); // u1 forgotten now (the bound is 2)
    expect((await presence.userPresence(asUserId('u1'))).generation).toBe(0);
    expect(await flap('u1')).toBeGreaterThan(4);
    expect((await presence.userPresence(asUserId('u3'))).generation).toBe(2);
  });
});
