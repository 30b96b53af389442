/**
 * The MESSAGE frame as UTF-8 bytes around content bytes taken as the sender wrote them (see
 * decode-message-utf8.ts). Server side: the bytes come from Node's Buffer pool, so a frame costs
 * no allocation of its own on the JavaScript heap.
 */
import { messageHead, messageTail } from './frames.js';

/** The bytes of a MESSAGE frame from `from` up to its content: the same for every message of a sender, so kept per connection. */
export function encodeMessageHead(from: string): Uint8Array {
  return Buffer.from(messageHead(from));
}

/**
 * Byte for byte the UTF-8 of `encodeMessageRaw(from, content as text, id, reference)`, given
 * `head = encodeMessageHead(from)`. `content` must be the UTF-8 of one JSON value; it is copied, so
 * the caller may reuse its memory.
 */
export function encodeMessageUtf8(head: Uint8Array, content: Uint8Array, id: string, reference: string | undefined): Buffer {
  const tail = messageTail(id, reference);
  const tailLength = Buffer.byteLength(tail);
  const frame = Buffer.allocUnsafe(head.length + content.length + tailLength);
  frame.set(head, 0);
  frame.set(content, head.length);
  frame.write(tail, head.length + content.length, tailLength, 'utf8');
  return frame;
}
