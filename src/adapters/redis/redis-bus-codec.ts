// What a delivery looks like on a Redis channel: JSON text, with a Uint8Array frame carried as
// the UTF-8 text it encodes (frames are UTF-8 JSON) and handed back as a string. Pure.
import type { Delivery } from '../../core/ports.js';

// Every kind of the Delivery union: a kind added to the port without a line here does not compile.
const KIND_TABLE: Record<Delivery['kind'], true> = { message: true, confirmation: true, presence: true, group: true, frame: true, 'app-frame': true, publication: true, close: true, logout: true, resume: true };
const KINDS: ReadonlySet<string> = new Set(Object.keys(KIND_TABLE));
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** One JSON text per delivery; serialized once per publish, whatever the number of receivers. */
export function encodeDelivery(delivery: Delivery): string {
  if (delivery.kind === 'message' && typeof delivery.frame !== 'string') {
    return JSON.stringify({ ...delivery, frame: utf8.decode(delivery.frame) });
  }
  return JSON.stringify(delivery);
}

/** The deliveries a payload carries (one, or a batch as a JSON array); invalid ones are left out, never thrown. */
export function decodeDeliveries(payload: string): { deliveries: Delivery[]; invalid: number } {
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

/** The delivery a payload carries, or undefined when it is not exactly one (never throws). */
export function decodeDelivery(payload: string): Delivery | undefined {
  const { deliveries, invalid } = decodeDeliveries(payload);
  return deliveries.length === 1 && invalid === 0 && !payload.startsWith('[') ? deliveries[0] : undefined;
}

function isDelivery(value: unknown): value is Delivery {
  if (typeof value !== 'object' || value === null) return false;
  const { kind, origin } = value as { kind?: unknown; origin?: unknown };
  return typeof kind === 'string' && KINDS.has(kind) && typeof origin === 'string';
}
