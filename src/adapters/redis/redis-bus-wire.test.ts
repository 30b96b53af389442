// The Redis bus's wire formats over a real Redis: byte frames exact through the binary format
// (mixed in one tick with deliveries that stay JSON), JSON from a node of an older version (or
// with binaryFrames: false) still read, malformed payloads dropped without stopping delivery.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBus } from './redis-bus.js';
import { encodeDelivery } from './redis-bus-codec.js';
import { userChannel } from '../../core/ports.js';
import type { Delivery } from '../../core/ports.js';
import { asMessageId, asNodeId, asUserId } from '../../core/ids.js';
import { redisSkipReason } from '../../../test/support/redis.js';

const url = process.env.REDIS_URL;
const open: { close(): Promise<unknown> | void }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

type Message = Extract<Delivery, { kind: 'message' }>;
const alice = asUserId(`demo-alice-${randomUUID()}`);
const bob = asUserId(`demo-bob-${randomUUID()}`);
const awkward = (n: number): Uint8Array => Uint8Array.from([...new TextEncoder().encode(`{"type":"MESSAGE","data":"${n}\u0000é😀\\""}`), 0x00, 0xff]);
const message = (to: typeof alice, n: number, frame: string | Uint8Array = awkward(n)): Message => ({ kind: 'message', origin: asNodeId('n1'), to, id: asMessageId(`m-${n}`), from: asUserId('demo-1'), frame, reliable: false, acceptedAt: n });

async function pair(extra: { binaryFrames?: boolean } = {}) {
  const prefix = `sbtest-${randomUUID()}:`;
  const a = new RedisBus({ urls: url!, prefix, ...extra });
  const b = new RedisBus({ urls: url!, prefix });
  open.push(a, b);
  const received: Delivery[] = [];
  a.onDelivery(() => undefined);
  b.onDelivery((d) => received.push(d));
  await Promise.all([a.start(), b.start()]);
  await b.subscribe(userChannel(alice));
  await b.subscribe(userChannel(bob));
  return { a, received, prefix };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 5_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const bytesOf = (d: Delivery): number[] => [...((d as Message).frame as Uint8Array)];

describe.skipIf(redisSkipReason('REDIS_URL') !== undefined)('RedisBus wire formats (REDIS_URL)', () => {
  it('carries byte frames exactly and in order per channel, batched with deliveries that stay JSON', async () => {
    const { a, received } = await pair();
    const sent: Delivery[] = [];
    for (let n = 0; n < 300; n++) {
      const to = n % 2 === 0 ? alice : bob;
      sent.push(n % 10 === 9 ? { kind: 'close', origin: asNodeId('n1'), to, code: 4000, reason: `r${n}` } : message(to, n));
    }
    await Promise.all(sent.map((d) => a.publish(userChannel((d as Message).to), d)));
    await until(() => received.length === sent.length, `${sent.length} deliveries`);
    for (const user of [alice, bob]) {
      const got = received.filter((d) => (d as Message).to === user);
      const want = sent.filter((d) => (d as Message).to === user);
      expect(got.map((d) => (d.kind === 'message' ? d.id : d.kind))).toEqual(want.map((d) => (d.kind === 'message' ? d.id : d.kind)));
      got.forEach((d, i) => {
        if (d.kind !== 'message') return expect(d).toEqual(want[i]);
        expect(d.frame).toBeInstanceOf(Uint8Array);
        expect(bytesOf(d)).toEqual([...((want[i] as Message).frame as Uint8Array)]);
      });
    }
  });

  it('reads JSON from a node of an older version (and from binaryFrames: false), and drops a malformed payload without stopping', async () => {
    const { a, received, prefix } = await pair({ binaryFrames: false });
    await a.publish(userChannel(alice), message(alice, 1));
    const raw = new Redis(url!);
    open.push({ close: () => raw.quit() });
    const channel = `${prefix}{${userChannel(alice)}}`;
    await raw.publish(channel, encodeDelivery(message(alice, 2)));
    await raw.publish(channel, Buffer.of(0x01, 1, 0, 0, 0, 99));
    await raw.publish(channel, 'not json');
    await raw.publish(channel, `[${encodeDelivery(message(alice, 3, '{"a":"\\u0000"}'))}]`);
    await until(() => received.length === 3, '3 deliveries');
    const text = (n: number) => new TextDecoder().decode(awkward(n));
    expect(received).toEqual([
      { ...message(alice, 1), frame: text(1) },
      { ...message(alice, 2), frame: text(2) },
      message(alice, 3, '{"a":"\\u0000"}'),
    ]);
  });
});
