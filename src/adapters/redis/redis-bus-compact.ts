// The compact header of a binary `message` record (tag 2 of redis-bus-codec.ts): the fields of a
// `message` delivery but its frame, without JSON on either side (the hot path of every 1:1 message
// between nodes: building and parsing a JSON header cost more than the rest of the codec). Layout:
//   u8 flags | f64 acceptedAt | str origin | str to | str id | str from [| str reference]
//   | u8 routedTo count | str × count                    (str: u16 UTF-8 bytes | the bytes; big-endian)
// flags: RELIABLE, NO_CONFIRM (confirm: false), FORWARDED, REFERENCE (a reference follows `from`),
// ROUTED (routedTo is set, even when empty).
import type { Delivery } from '../../core/ports.js';

type MessageDelivery = Extract<Delivery, { kind: 'message' }>;
/** A `message` delivery without its frame, as the compact header carries it. */
export type MessageHead = Omit<MessageDelivery, 'frame'>;

const RELIABLE = 1;
const NO_CONFIRM = 2;
const FORWARDED = 4;
const REFERENCE = 8;
const ROUTED = 16;
/** Longest string the u16 length can hold whatever its UTF-8 (3 bytes per UTF-16 unit at most). */
const MAX_CHARS = 0xffff / 3;
const MAX_ROUTED = 0xff;
/** A lone surrogate: UTF-8 cannot carry it, JSON can (as an escape); such a header stays JSON. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const SURROGATE = /[\uD800-\uDFFF]/;

const fits = (s: string): boolean => s.length <= MAX_CHARS && (!SURROGATE.test(s) || !LONE_SURROGATE.test(s));

/** Can this delivery's header be written compactly (every string UTF-8-safe and short, few routed nodes)? */
export function compactable(d: MessageDelivery): boolean {
  if (!fits(d.origin) || !fits(d.to) || !fits(d.id) || !fits(d.from)) return false;
  if (d.reference !== undefined && !fits(d.reference)) return false;
  const routed = d.routedTo;
  if (routed === undefined) return true;
  if (routed.length > MAX_ROUTED) return false;
  for (const node of routed) if (!fits(node)) return false;
  return true;
}

/** Most bytes the compact header of `d` can take (`compactable(d)` must hold). */
export function compactHeadBound(d: MessageDelivery): number {
  let chars = d.origin.length + d.to.length + d.id.length + d.from.length + (d.reference?.length ?? 0);
  let strings = 5;
  for (const node of d.routedTo ?? []) {
    chars += node.length;
    strings++;
  }
  return 1 + 8 + 1 + 2 * strings + 3 * chars;
}

/** Writes the compact header of `d` into `out` at `at` (room for compactHeadBound); returns where it ends. */
export function writeCompactHead(out: Buffer, at: number, d: MessageDelivery): number {
  out[at] = (d.reliable ? RELIABLE : 0) | (d.confirm === false ? NO_CONFIRM : 0) | (d.forwarded === true ? FORWARDED : 0) | (d.reference === undefined ? 0 : REFERENCE) | (d.routedTo === undefined ? 0 : ROUTED);
  out.writeDoubleBE(d.acceptedAt, at + 1);
  at = putString(out, at + 9, d.origin);
  at = putString(out, at, d.to);
  at = putString(out, at, d.id);
  at = putString(out, at, d.from);
  if (d.reference !== undefined) at = putString(out, at, d.reference);
  const routed = d.routedTo ?? [];
  out[at++] = routed.length;
  for (const node of routed) at = putString(out, at, node);
  return at;
}

function putString(out: Buffer, at: number, s: string): number {
  const length = out.write(s, at + 2, 'utf8');
  out.writeUInt16BE(length, at);
  return at + 2 + length;
}

/**
 * The header in `bytes[start, end)`, or undefined when it is malformed (never throws). Absent
 * fields are left out, as they are from a JSON header, so both decode to equal objects.
 */
export function readCompactHead(bytes: Buffer, start: number, end: number): MessageHead | undefined {
  if (end - start < 10) return undefined;
  const flags = bytes[start] as number;
  const acceptedAt = bytes.readDoubleBE(start + 1);
  const r = { at: start + 9, end, bytes };
  const origin = getString(r);
  const to = getString(r);
  const id = getString(r);
  const from = getString(r);
  const reference = (flags & REFERENCE) === 0 ? undefined : getString(r);
  if (from === undefined || (reference === undefined && (flags & REFERENCE) !== 0) || r.at >= end) return undefined;
  const count = bytes[r.at++] as number;
  const routedTo: string[] = [];
  for (let i = 0; i < count; i++) {
    const node = getString(r);
    if (node === undefined) return undefined;
    routedTo.push(node);
  }
  if (r.at !== end || origin === undefined || to === undefined || id === undefined) return undefined;
  const head = { kind: 'message', origin, to, id, from, reliable: (flags & RELIABLE) !== 0, acceptedAt } as Record<string, unknown>;
  if (reference !== undefined) head.reference = reference;
  if ((flags & NO_CONFIRM) !== 0) head.confirm = false;
  if ((flags & ROUTED) !== 0) head.routedTo = routedTo;
  else if (count > 0) return undefined;
  if ((flags & FORWARDED) !== 0) head.forwarded = true;
  return head as unknown as MessageHead;
}

function getString(r: { at: number; readonly end: number; readonly bytes: Buffer }): string | undefined {
  if (r.at + 2 > r.end) {
    r.at = r.end + 1;
    return undefined;
  }
  const length = r.bytes.readUInt16BE(r.at);
  const from = r.at + 2;
  r.at = from + length;
  return r.at > r.end ? undefined : r.bytes.toString('utf8', from, r.at);
}
