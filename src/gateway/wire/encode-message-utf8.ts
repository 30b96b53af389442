/**
 * The MESSAGE frame as UTF-8 bytes around content bytes taken as the sender wrote them (see
 * protocol/decode-message-utf8.ts). The gateway's write path: a frame's memory comes from
 * frame-slab.ts, with room for the WebSocket header in front of it. Core gets it injected.
 */
import { allocFrame } from './frame-slab.js';
import { messageTail } from '../../protocol/frames.js';

export { encodeMessageHead } from '../../protocol/frames.js';

/** `,"id":"` — the tail of a frame whose id needs no escaping starts with these bytes. */
const ID_OPEN = Buffer.from(',"id":"');
/** `"}}` — and ends with these (no reference). */
const ID_CLOSE = Buffer.from('"}}');

/**
 * Byte for byte the UTF-8 of `encodeMessageRaw(from, content as text, id, reference)`, given
 * `head = encodeMessageHead(from)`. `content` must be the UTF-8 of one JSON value; it is copied, so
 * the caller may reuse its memory.
 */
export function encodeMessageUtf8(head: Uint8Array, content: Uint8Array, id: string, reference: string | undefined): Buffer {
  const body = head.length + content.length;
  // The usual frame (the server's own ids, no reference) gets its tail written as bytes, without
  // building the tail's text, measuring it and encoding it again.
  const tail = reference === undefined && isPlainAscii(id) ? undefined : messageTail(id, reference);
  const tailLength = tail === undefined ? ID_OPEN.length + id.length + ID_CLOSE.length : Buffer.byteLength(tail);
  const frame = allocFrame(body + tailLength);
  frame.set(head, 0);
  frame.set(content, head.length);
  if (tail !== undefined) {
    frame.write(tail, body, tailLength, 'utf8');
    return frame;
  }
  frame.set(ID_OPEN, body);
  let at = body + ID_OPEN.length;
  for (let i = 0; i < id.length; i++) frame[at++] = id.charCodeAt(i);
  frame.set(ID_CLOSE, at);
  return frame;
}

/** True when every character of `s` is printable ASCII other than `"` and `\`: JSON quotes it as is. */
function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
