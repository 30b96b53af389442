import { describe, expect, it } from 'vitest';
import { decodeDeliveries, decodeDelivery, encodeDelivery } from './redis-bus-codec.js';
import type { Delivery } from '../../core/ports.js';
import { asAppId, asMessageId, asNodeId, asUserId } from '../../core/ids.js';

const base = { origin: asNodeId('n1'), to: asUserId('demo-1'), id: asMessageId('m1'), from: asUserId('demo-2'), reliable: true, acceptedAt: 7 } as const;

describe('encodeDelivery / decodeDelivery', () => {
  it('round-trips a text frame unchanged', () => {
    const d: Delivery = { kind: 'message', ...base, frame: '{"type":"MESSAGE","data":"\\u0000é😀"}', reference: 'r' };
    expect(decodeDelivery(encodeDelivery(d))).toEqual(d);
  });

  it('carries a Uint8Array frame as the text it encodes', () => {
    const text = '{"type":"MESSAGE","data":"é😀 \\"x\\""}';
    const d: Delivery = { kind: 'message', ...base, frame: new TextEncoder().encode(text) };
    expect(decodeDelivery(encodeDelivery(d))).toEqual({ ...d, frame: text });
  });

  it('keeps a byte view that starts inside a larger buffer to its own bytes', () => {
    const whole = new TextEncoder().encode('xx{"a":1}yy');
    const d: Delivery = { kind: 'message', ...base, frame: whole.subarray(2, 9) };
    expect(decodeDelivery(encodeDelivery(d))).toMatchObject({ frame: '{"a":1}' });
  });

  it('round-trips a logout (a back-channel logout closes connections on every node)', () => {
    const d: Delivery = { kind: 'logout', origin: asNodeId('n1'), appId: asAppId('demo'), sub: 'demo-1', sid: 's-1' };
    expect(decodeDelivery(encodeDelivery(d))).toEqual(d);
  });

  it('round-trips a presence delivery with its user and transition generation (a timestamp-sized number stays exact)', () => {
    const d: Delivery = { kind: 'presence', origin: asNodeId('n1'), to: asUserId('demo-0'), frame: '{"type":"USER_CONNECTED","data":{"userId":"demo-1"}}', userId: asUserId('demo-1'), generation: 1_765_000_000_123 };
    expect(decodeDelivery(encodeDelivery(d))).toEqual(d);
  });

  it('rejects what is not a delivery without throwing', () => {
    for (const bad of ['', 'nope', '1', 'null', '[]', '{"kind":"message"}', '{"kind":"other","origin":"n"}']) {
      expect(decodeDelivery(bad)).toBeUndefined();
    }
  });

  it('decodes a batch (JSON array) in order, leaving out invalid items', () => {
    const a: Delivery = { kind: 'presence', origin: asNodeId('n'), to: asUserId('u'), frame: '{}' };
    const b: Delivery = { kind: 'close', origin: asNodeId('n'), to: asUserId('u'), code: 1000, reason: 'r' };
    expect(decodeDeliveries(`[${encodeDelivery(a)},${encodeDelivery(b)},{"kind":"x"}]`)).toEqual({ deliveries: [a, b], invalid: 1 });
    expect(decodeDeliveries('nope')).toEqual({ deliveries: [], invalid: 1 });
  });
});
