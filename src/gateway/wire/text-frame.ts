/**
 * WebSocket text frames written by the gateway itself (RFC 6455 §5.2: unmasked, final), header
 * and payload in one buffer; see encodeTextFrame.
 */
import { hasHeadroom } from './frame-slab.js';

/** Bytes of the header of an unmasked WebSocket frame with a payload of `length` bytes (RFC 6455 §5.2). */
function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/** Writes the header of an unmasked, final text frame of `length` payload bytes at the start of `out`. */
function writeTextHeader(out: Uint8Array, length: number, header: number): void {
  out[0] = 0x81; // FIN + text
  if (header === 2) out[1] = length;
  else if (header === 4) {
    out[1] = 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = 127;
    const high = Math.floor(length / 2 ** 32);
    const low = length >>> 0;
    for (let k = 0; k < 4; k++) {
      out[2 + k] = (high >>> (24 - 8 * k)) & 0xff;
      out[6 + k] = (low >>> (24 - 8 * k)) & 0xff;
    }
  }
}

/**
 * `frame` as one unmasked, final WebSocket text frame: header and payload in one buffer, so it
 * leaves in one write. Written to the TCP socket directly rather than through `ws.send`, which
 * would take its own copy of the length, a header buffer and a second write per frame; `ws` keeps
 * writing its own control frames (ping, close) to the same socket, in order.
 *
 * `inPlace`: a frame from frame-slab.ts gets its header in the free bytes in front of it, and the
 * result is a view of the frame's own memory (no new buffer, no copy). Only for a write that
 * leaves at once: a frame that would wait in the socket's queue is copied, so that a slow reader
 * never keeps a shared slab alive for each frame it has not read.
 */
export function encodeTextFrame(frame: string | Uint8Array, inPlace: boolean): Buffer {
  const length = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
  const header = headerLength(length);
  if (inPlace && typeof frame !== 'string' && hasHeadroom(frame)) {
    // header ≤ HEADROOM: the view starts inside this frame's own headroom.
    const wire = Buffer.from(frame.buffer, frame.byteOffset - header, header + length);
    writeTextHeader(wire, length, header);
    return wire;
  }
  const out = Buffer.allocUnsafe(header + length);
  writeTextHeader(out, length, header);
  if (typeof frame === 'string') out.write(frame, header, length, 'utf8');
  else out.set(frame, header);
  return out;
}
