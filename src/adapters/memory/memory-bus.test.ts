import { describe, expect, it } from 'vitest';
import { describeBusContract } from '../contract/bus.contract.js';
import { MemoryBus, MemoryBusNetwork } from './memory-bus.js';
import { asNodeId, asUserId } from '../../core/ids.js';
import { userChannel } from '../../core/ports.js';

describeBusContract('memory', () => {
  const network = new MemoryBusNetwork();
  return { node: (options) => new MemoryBus({ network, ...options }) };
});

describe('MemoryBus', () => {
  it('is isolated with its own network, and not on a shared one', () => {
    expect(new MemoryBus().isolated).toBe(true);
    expect(new MemoryBus({ network: new MemoryBusNetwork() }).isolated).toBe(false);
  });

  it('keeps buses without a shared network apart', async () => {
    const [a, b] = [new MemoryBus(), new MemoryBus()];
    const received: unknown[] = [];
    b.onDelivery((d) => received.push(d));
    await Promise.all([a.start(), b.start()]);
    const channel = userChannel(asUserId('demo-1'));
    await b.subscribe(channel);
    await a.publish(channel, { kind: 'presence', origin: asNodeId('a'), to: asUserId('demo-1'), frame: '{}' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new MemoryBus({ maxPendingPublishes: 0 })).toThrow(RangeError);
  });
});
