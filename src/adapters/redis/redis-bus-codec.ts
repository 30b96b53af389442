// What a delivery looks like on a Redis channel: JSON text, with a Uint8Array frame carried as
// the UTF-8 text it encodes (frames are UTF-8 JSON) and handed back as a string. Pure.
import type { Delivery } from '../../core/ports.js';

const KINDS: ReadonlySet<string> = new Set(['message', 'confirmation', 'presence', 'group', 'frame', 'app-frame', 'publication', 'close']);
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** One JSON text per delivery; serialized once per publish, whatever the number of receivers. */
export function encodeDelivery(delivery: Delivery): string {
  if (delivery.kind === 'message' && typeof delivery.frame !== 'string') {
    return JSON.stringify({ ...delivery, frame: utf8.decode(delivery.frame) });
  }
  return JSON.stringify(delivery);
}

/** The delivery a payload carries, or undefined when it is not one (never throws). */
export function decodeDelivery(payload: string): Delivery | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, origin } = value as { kind?: unknown; origin?: unknown };
  if (typeof kind !== 'string' || !KINDS.has(kind) || typeof origin !== 'string') return undefined;
  return value as Delivery;
}
