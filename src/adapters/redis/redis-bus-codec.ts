// What a delivery looks like on a Redis channel. Two wire formats, both always decoded:
// - JSON text (one delivery, or a batch as a JSON array): every kind; what nodes of older versions
//   send, and what a bus with `binaryFrames: false` sends;
// - binary: a `message` delivery with a byte frame goes as a short JSON header and the raw frame
//   bytes (no UTF-8 decoding, no escaping of a frame that is itself JSON, no re-encoding on the
//   receiving node, which hands the frame on as a view of the received bytes). Layout: one byte
//   BINARY_MAGIC (never the first byte of JSON text), then records to the end, each
//     u8 tag | u32 header bytes | header (UTF-8 JSON) [| u32 frame bytes | frame]   (big-endian)
//   tag 0: the header is the whole delivery (any kind, in a batch with binary ones);
//   tag 1: the header is a `message` delivery without its `frame`, which follows as bytes;
//   tag 2: as tag 1, with the compact header of redis-bus-compact.ts instead of JSON (what this
//   version writes; tag 1 only when a string of the header cannot go as UTF-8).
import type { Delivery } from '../../core/ports.js';
import { compactable, compactHeadBound, readCompactHead, writeCompactHead } from './redis-bus-compact.js';

// Every kind of the Delivery union: a kind added to the port without a line here does not compile.
const KIND_TABLE: Record<Delivery['kind'], true> = { message: true, confirmation: true, presence: true, group: true, frame: true, 'app-frame': true, publication: true, close: true, logout: true, resume: true, route: true };
const KINDS: ReadonlySet<string> = new Set(Object.keys(KIND_TABLE));
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** First byte of a binary payload (JSON text starts with `{`, `[` or white space). */
export const BINARY_MAGIC = 0x01;
const TAG_JSON = 0;
const TAG_MESSAGE_BYTES = 1;
const TAG_MESSAGE_COMPACT = 2;

/** One delivery ready to publish: JSON text, or a binary payload (BINARY_MAGIC and one record). */
export type EncodedDelivery = string | Buffer;

/** One JSON text per delivery; serialized once per publish, whatever the number of receivers. */
export function encodeDelivery(delivery: Delivery): string {
  if (delivery.kind === 'message' && typeof delivery.frame !== 'string') {
    return JSON.stringify({ ...delivery, frame: utf8.decode(delivery.frame) });
  }
  return JSON.stringify(delivery);
}

/** A `message` with a byte frame as a binary payload; any other delivery as JSON text (encodeDelivery). */
export function encodeDeliveryBinary(delivery: Delivery): EncodedDelivery {
  if (delivery.kind !== 'message' || typeof delivery.frame === 'string') return JSON.stringify(delivery);
  const frame = delivery.frame;
  if (compactable(delivery)) {
    const out = Buffer.allocUnsafe(1 + 1 + 4 + compactHeadBound(delivery) + 4 + frame.length);
    out[0] = BINARY_MAGIC;
    out[1] = TAG_MESSAGE_COMPACT;
    const headEnd = writeCompactHead(out, 6, delivery);
    out.writeUInt32BE(headEnd - 6, 2);
    out.writeUInt32BE(frame.length, headEnd);
    out.set(frame, headEnd + 4);
    return out.subarray(0, headEnd + 4 + frame.length);
  }
  const head = messageHeader(delivery);
  const headBytes = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(1 + 1 + 4 + headBytes + 4 + frame.length);
  out[0] = BINARY_MAGIC;
  out[1] = TAG_MESSAGE_BYTES;
  out.writeUInt32BE(headBytes, 2);
  out.write(head, 6, headBytes, 'utf8');
  out.writeUInt32BE(frame.length, 6 + headBytes);
  out.set(frame, 10 + headBytes);
  return out;
}

type MessageDelivery = Extract<Delivery, { kind: 'message' }>;
/** Every field of a `message` but its frame: a field added to the type without a line here does not compile. */
const MESSAGE_FIELDS: Record<Exclude<keyof MessageDelivery, 'frame'>, true> = {
  kind: true, origin: true, to: true, id: true, from: true, reference: true, reliable: true, acceptedAt: true, confirm: true, routedTo: true, forwarded: true,
};
const FIELD_NAMES = Object.keys(MESSAGE_FIELDS) as (keyof MessageDelivery)[];

/**
 * The JSON header of a binary `message`: the delivery without its frame, as JSON.stringify would
 * write it (absent fields left out), built field by field (the hot path: no object copy).
 */
export function messageHeader(d: MessageDelivery): string {
  let json = '{';
  for (const name of FIELD_NAMES) {
    const value = d[name];
    if (value === undefined) continue;
    json += `${json.length > 1 ? ',' : ''}"${name}":${typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)}`;
  }
  return `${json}}`;
}

/**
 * Several encoded deliveries of one channel as one payload, in order: a JSON array when all are
 * JSON text (what older nodes read), else one binary payload (JSON ones as tag-0 records).
 */
export function joinEncoded(items: readonly EncodedDelivery[]): EncodedDelivery {
  if (items.length === 1) return items[0] as EncodedDelivery;
  if (items.every((item) => typeof item === 'string')) return `[${(items as string[]).join(',')}]`;
  const parts: Buffer[] = [Buffer.of(BINARY_MAGIC)];
  for (const item of items) parts.push(typeof item === 'string' ? jsonRecord(item) : item.subarray(1));
  return Buffer.concat(parts);
}

function jsonRecord(json: string): Buffer {
  const bytes = Buffer.byteLength(json);
  const out = Buffer.allocUnsafe(5 + bytes);
  out[0] = TAG_JSON;
  out.writeUInt32BE(bytes, 1);
  out.write(json, 5, bytes, 'utf8');
  return out;
}

/**
 * The deliveries a payload carries (JSON text or bytes of either format); invalid ones are left
 * out and counted, never thrown. A `message` from a binary payload has a Uint8Array frame that is
 * a view of `payload`.
 */
export function decodeDeliveries(payload: string | Uint8Array): { deliveries: Delivery[]; invalid: number } {
  if (typeof payload !== 'string') {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    if (bytes.length > 0 && bytes[0] === BINARY_MAGIC) return decodeBinary(bytes);
    return decodeJson(bytes.toString('utf8'));
  }
  return decodeJson(payload);
}

/** The delivery a payload carries, or undefined when it is not exactly one (never throws). */
export function decodeDelivery(payload: string | Uint8Array): Delivery | undefined {
  const { deliveries, invalid } = decodeDeliveries(payload);
  if (deliveries.length !== 1 || invalid !== 0) return undefined;
  if (typeof payload === 'string') return payload.startsWith('[') ? undefined : deliveries[0];
  return payload[0] === 0x5b /* [ */ ? undefined : deliveries[0];
}

function decodeJson(payload: string): { deliveries: Delivery[]; invalid: number } {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { deliveries: [], invalid: 1 };
  }
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  const deliveries: Delivery[] = [];
  for (const item of items) if (isDelivery(item)) deliveries.push(item);
  return { deliveries, invalid: items.length - deliveries.length };
}

function decodeBinary(bytes: Buffer): { deliveries: Delivery[]; invalid: number } {
  const deliveries: Delivery[] = [];
  let invalid = 0;
  let at = 1;
  if (bytes.length === 1) return { deliveries, invalid: 1 };
  while (at < bytes.length) {
    const tag = bytes[at];
    if (at + 5 > bytes.length || (tag !== TAG_JSON && tag !== TAG_MESSAGE_BYTES && tag !== TAG_MESSAGE_COMPACT)) return { deliveries, invalid: invalid + 1 };
    const headBytes = bytes.readUInt32BE(at + 1);
    const headEnd = at + 5 + headBytes;
    if (headEnd > bytes.length) return { deliveries, invalid: invalid + 1 };
    const header = tag === TAG_MESSAGE_COMPACT ? readCompactHead(bytes, at + 5, headEnd) : parseJson(bytes.toString('utf8', at + 5, headEnd));
    if (tag === TAG_JSON) {
      if (isDelivery(header)) deliveries.push(header);
      else invalid++;
      at = headEnd;
      continue;
    }
    if (headEnd + 4 > bytes.length) return { deliveries, invalid: invalid + 1 };
    const frameEnd = headEnd + 4 + bytes.readUInt32BE(headEnd);
    if (frameEnd > bytes.length) return { deliveries, invalid: invalid + 1 };
    if (isDelivery(header) && header.kind === 'message' && !('frame' in header)) {
      // A fresh object from JSON.parse: the frame is set on it rather than copied into another.
      (header as { frame: Uint8Array }).frame = bytes.subarray(headEnd + 4, frameEnd);
      deliveries.push(header);
    } else invalid++;
    at = frameEnd;
  }
  return { deliveries, invalid };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isDelivery(value: unknown): value is Delivery {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, origin } = value as { kind?: unknown; origin?: unknown };
  return typeof kind === 'string' && KINDS.has(kind) && typeof origin === 'string';
}
