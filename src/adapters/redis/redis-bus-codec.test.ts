import { describe, expect, it } from 'vitest';
import { BINARY_MAGIC, decodeDeliveries, decodeDelivery, encodeDelivery, encodeDeliveryBinary, joinEncoded, messageHeader } from './redis-bus-codec.js';
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

  it('rejects what is not a delivery without throwing, also as bytes', () => {
    for (const bad of ['', 'nope', '{"kind":"message"}', '[]']) expect(decodeDelivery(new TextEncoder().encode(bad))).toBeUndefined();
    expect(decodeDeliveries(new TextEncoder().encode('{"kind":"close","origin":"n","to":"u","code":1000,"reason":"r"}')).deliveries).toHaveLength(1);
  });
});

const n = asNodeId('n1');
const u = asUserId('demo-1');
// One delivery of every kind (KIND_TABLE): each must round-trip in both formats, alone and in a batch.
const everyKind: Delivery[] = [
  { kind: 'message', ...base, frame: '{"type":"MESSAGE"}', reference: 'r', confirm: false },
  { kind: 'confirmation', origin: n, to: u, id: asMessageId('m2'), frame: '{"type":"MESSAGE_CONFIRMATION"}', reliable: true },
  { kind: 'presence', origin: n, to: u, frame: '{}', userId: asUserId('demo-2'), generation: 3 },
  { kind: 'group', origin: n, from: u, copies: [{ to: asUserId('a'), id: asMessageId('x') }], contentJson: '"hi\\u0000"', reference: 'r', reliable: false, acceptedAt: 1 },
  { kind: 'frame', origin: n, to: u, frame: '{"type":"NOTIFICATION"}', type: 'NOTIFICATION' },
  { kind: 'app-frame', origin: n, appId: asAppId('demo'), frame: '{}', type: 'NEW_VERSION' },
  { kind: 'publication', origin: n, appId: asAppId('demo'), topic: 't/é', frame: '{}' },
  { kind: 'close', origin: n, to: u, code: 4000, reason: 'bye' },
  { kind: 'logout', origin: n, appId: asAppId('demo'), sub: 's' },
  { kind: 'resume', origin: n, op: 'claim', claimId: 'c', sessionId: 's', token: 't', userId: u, lastSeq: 4 },
  { kind: 'resume', origin: n, op: 'handover', claimId: 'c', ok: true, frames: ['{"a":1}'], seq: 9 },
  { kind: 'resume', origin: n, op: 'ack', claimId: 'c', seq: -1 },
];

// Frame bytes that a string round trip would change: NUL, multi-byte UTF-8, a lone surrogate's
// escape, and bytes that are not UTF-8 at all (0xff), which must come back exactly.
const awkward = Uint8Array.from([...new TextEncoder().encode('{"type":"MESSAGE","data":"\u0000é😀\\ud800\\"\n"}'), 0x00, 0xff, 0xc3]);

type MessageDelivery = Extract<Delivery, { kind: 'message' }>;
const bytesMessage = (frame: Uint8Array, id = 'b1'): MessageDelivery => ({ kind: 'message', origin: n, to: u, id: asMessageId(id), from: asUserId('demo-2'), frame, reliable: false, acceptedAt: 1_765_000_000_123 });
const frameBytes = (d: Delivery | undefined): number[] => [...((d as MessageDelivery).frame as Uint8Array)];

describe('binary format', () => {
  it('carries a byte frame exactly (NUL, multi-byte UTF-8, bytes that are not UTF-8) as a Uint8Array', () => {
    const d = bytesMessage(awkward);
    const encoded = encodeDeliveryBinary(d);
    expect(typeof encoded).not.toBe('string');
    expect((encoded as Buffer)[0]).toBe(BINARY_MAGIC);
    const back = decodeDelivery(encoded) as MessageDelivery;
    expect(back.frame).toBeInstanceOf(Uint8Array);
    expect(frameBytes(back)).toEqual([...awkward]);
    expect({ ...back, frame: undefined }).toEqual({ ...d, frame: undefined });
  });

  it('keeps a byte view that starts inside a larger buffer to its own bytes, and an empty frame', () => {
    const whole = new TextEncoder().encode('xx{"a":1}yy');
    expect(frameBytes(decodeDelivery(encodeDeliveryBinary(bytesMessage(whole.subarray(2, 9)))))).toEqual([...whole.subarray(2, 9)]);
    expect(frameBytes(decodeDelivery(encodeDeliveryBinary(bytesMessage(new Uint8Array(0)))))).toEqual([]);
  });

  it('round-trips every kind (other kinds and text frames stay JSON text, as older nodes read them)', () => {
    for (const d of everyKind) {
      const encoded = encodeDeliveryBinary(d);
      expect(typeof encoded).toBe('string');
      expect(decodeDelivery(encoded)).toEqual(d);
      expect(decodeDelivery(Buffer.from(encoded as string))).toEqual(d);
    }
  });

  it('joins a batch: JSON texts alone stay a JSON array; with a binary one, every kind goes in one binary payload, in order', () => {
    const json = everyKind.map(encodeDeliveryBinary);
    expect(typeof joinEncoded(json)).toBe('string');
    expect(decodeDeliveries(joinEncoded(json))).toEqual({ deliveries: everyKind, invalid: 0 });
    const a = bytesMessage(awkward, 'b1');
    const b = bytesMessage(new TextEncoder().encode('{"x":"ü"}'), 'b2');
    const mixed = joinEncoded([encodeDeliveryBinary(a), ...json, encodeDeliveryBinary(b)]);
    expect(typeof mixed).not.toBe('string');
    const { deliveries, invalid } = decodeDeliveries(mixed);
    expect(invalid).toBe(0);
    expect(deliveries.map((d) => d.kind)).toEqual(['message', ...everyKind.map((d) => d.kind), 'message']);
    expect(deliveries.slice(1, -1)).toEqual(everyKind);
    expect(frameBytes(deliveries[0])).toEqual([...awkward]);
    expect(frameBytes(deliveries.at(-1))).toEqual([...b.frame as Uint8Array]);
  });

  it('counts malformed binary payloads as invalid, never throws, and keeps the records before the damage', () => {
    const good = encodeDeliveryBinary(bytesMessage(awkward)) as Buffer;
    const record = good.subarray(1);
    const header = (json: string, tag = 1): Buffer => {
      const h = Buffer.from(json);
      const out = Buffer.alloc(5 + h.length + (tag === 1 ? 4 : 0));
      out[0] = tag;
      out.writeUInt32BE(h.length, 1);
      h.copy(out, 5);
      return out;
    };
    const cases: Buffer[] = [
      Buffer.of(BINARY_MAGIC), // nothing after the magic byte
      Buffer.of(BINARY_MAGIC, 7, 0, 0, 0, 0), // unknown tag
      Buffer.of(BINARY_MAGIC, 1, 0, 0), // truncated length
      Buffer.concat([Buffer.of(BINARY_MAGIC), header('{"kind":"message"')]), // header not JSON
      Buffer.concat([Buffer.of(BINARY_MAGIC), header('{"kind":"close","origin":"n"}')]), // tag 1 but not a message
      Buffer.concat([Buffer.of(BINARY_MAGIC), header('{"kind":"message","origin":"n","frame":"x"}')]), // frame twice
      Buffer.concat([Buffer.of(BINARY_MAGIC), header('{"kind":"nope","origin":"n"}', 0)]), // unknown kind
      good.subarray(0, good.length - 1), // frame cut short
      good.subarray(0, 8), // header cut short
    ];
    for (const bad of cases) {
      expect(() => decodeDeliveries(bad)).not.toThrow();
      const { deliveries, invalid } = decodeDeliveries(bad);
      expect(deliveries).toEqual([]);
      expect(invalid).toBeGreaterThanOrEqual(1);
      expect(decodeDelivery(bad)).toBeUndefined();
    }
    const damaged = Buffer.concat([good, record.subarray(0, 12)]);
    const { deliveries, invalid } = decodeDeliveries(damaged);
    expect(deliveries).toHaveLength(1);
    expect(invalid).toBe(1);
  });

  it('decodes what an older node publishes (JSON text, as a string or as the bytes a Buffer listener gets)', () => {
    const d = bytesMessage(awkward);
    const old = encodeDelivery(d);
    expect(decodeDelivery(old)).toEqual({ ...d, frame: new TextDecoder().decode(awkward) });
    expect(decodeDelivery(Buffer.from(old))).toEqual({ ...d, frame: new TextDecoder().decode(awkward) });
  });
});

describe('messageHeader', () => {
  it('writes what JSON.stringify writes for a message without its frame, every field set or left out', () => {
    const full = { kind: 'message', origin: 'n1', to: 'demo-1', id: 'm"1', from: 'demo-\u00e9', reference: 'r\n1', reliable: true, acceptedAt: 1_765_000_000_123, confirm: false, routedTo: ['n2', 'n3'], forwarded: true, frame: new Uint8Array(1) } as const;
    const { frame: _f, ...rest } = full;
    expect(messageHeader(full as unknown as Parameters<typeof messageHeader>[0])).toBe(JSON.stringify(rest));
    const bare = { kind: 'message', origin: 'n1', to: 'demo-1', id: 'm1', from: 'demo-2', reliable: false, acceptedAt: 5, frame: 'x' } as const;
    const { frame: _g, ...bareRest } = bare;
    expect(messageHeader(bare as unknown as Parameters<typeof messageHeader>[0])).toBe(JSON.stringify(bareRest));
  });
});


describe('compact header (tag 2)', () => {
  const full: MessageDelivery = { kind: 'message', origin: n, to: u, id: asMessageId('m"1'), from: asUserId('demo-\u00e9😀'), frame: awkward, reference: 'r\n1 ü', reliable: true, acceptedAt: 1_765_000_000_123.5, confirm: false, routedTo: [asNodeId('n2'), asNodeId('n3')], forwarded: true };
  const bare = bytesMessage(awkward);
  const tagOf = (d: MessageDelivery): number => (encodeDeliveryBinary(d) as Buffer)[1] as number;
  const fromJsonHeader = (d: MessageDelivery): unknown => ({ ...(JSON.parse(messageHeader(d)) as object), frame: [...(d.frame as Uint8Array)] });

  it('is what a byte frame goes with, and decodes to what the JSON header decodes to, every field set or left out', () => {
    for (const d of [full, bare, { ...bare, routedTo: [] }, { ...bare, reference: '' }]) {
      expect(tagOf(d)).toBe(2);
      const back = decodeDelivery(encodeDeliveryBinary(d)) as MessageDelivery;
      expect({ ...back, frame: [...(back.frame as Uint8Array)] }).toEqual(fromJsonHeader(d));
      expect(Object.keys(back).sort()).toEqual(Object.keys(d).sort());
    }
  });

  it('leaves a header with a string UTF-8 cannot carry (a lone surrogate) or too many routed nodes as JSON (tag 1), exact', () => {
    const lone = { ...bare, reference: 'a\ud800b' };
    const many = { ...bare, routedTo: Array.from({ length: 300 }, (_, i) => asNodeId(`n${String(i)}`)) };
    for (const d of [lone, many]) {
      expect(tagOf(d)).toBe(1);
      expect({ ...(decodeDelivery(encodeDeliveryBinary(d)) as MessageDelivery), frame: undefined }).toEqual({ ...d, frame: undefined });
    }
    expect(tagOf({ ...bare, reference: 'a😀b' })).toBe(2);
  });

  it('counts a damaged compact record as invalid, never throws', () => {
    const good = encodeDeliveryBinary(full) as Buffer;
    const headLength = good.readUInt32BE(2);
    const withHead = (mutate: (head: Buffer) => Buffer): Buffer => {
      const head = mutate(Buffer.from(good.subarray(6, 6 + headLength)));
      const out = Buffer.concat([good.subarray(0, 2), Buffer.alloc(4), head, good.subarray(6 + headLength)]);
      out.writeUInt32BE(head.length, 2);
      return out;
    };
    const cases = [
      withHead((h) => h.subarray(0, h.length - 1)), // last routed node cut short
      withHead((h) => Buffer.concat([h, Buffer.of(0)])), // a byte after the last string
      withHead((h) => h.subarray(0, 9)), // flags and time only
      withHead((h) => Buffer.concat([Buffer.of((h[0] as number) & ~16), h.subarray(1)])), // routed nodes without the flag
      withHead((h) => {
        const c = Buffer.from(h);
        c.writeUInt16BE(0xfff0, 9); // origin longer than the header
        return c;
      }),
    ];
    for (const bad of cases) {
      expect(() => decodeDeliveries(bad)).not.toThrow();
      expect(decodeDeliveries(bad)).toEqual({ deliveries: [], invalid: 1 });
    }
    expect(decodeDeliveries(good).invalid).toBe(0);
  });
});
