/**
 * Memory for outbound frames built as bytes (the MESSAGE frame of encode-message-utf8.ts): cut
 * from shared 64 KB slabs, each with HEADROOM free bytes in front of it, so the WebSocket layer
 * can write its header there and send header and frame as one buffer, without a second buffer and
 * a copy of the frame (see WsConnection). Server side (Node's Buffer).
 *
 * Why slabs of our own: Node's Buffer pool is 8 KB, so a 1 KB frame made a new pool about every
 * seventh frame, and the pool's creation, not the copy, was most of a frame's cost (about 200 ns a
 * frame against 50–80 ns from a 64 KB slab, in a microbenchmark). A slab lives while any frame
 * cut from it does; the WebSocket layer sends a frame that must wait in a socket's queue as a copy
 * of its own, so a slow reader keeps at most the slab of the one frame it was reading, not one per
 * queued frame.
 */

/** Bytes free in front of every frame: the longest header of an unmasked WebSocket frame (RFC 6455 §5.2). */
export const HEADROOM = 10;

const SLAB_BYTES = 64 * 1024;
/** Larger frames get memory of their own: a slab is for the many small ones. */
const MAX_SLAB_FRAME = 8 * 1024;

/** Marks the memory allocFrame cut frames from (a property of the ArrayBuffer: every slab shares one shape). */
const FRAME_MEMORY = Symbol('switchboard.frameMemory');
type Marked = ArrayBufferLike & { [FRAME_MEMORY]?: true };

function frameMemory(bytes: number): ArrayBuffer {
  // allocUnsafeSlow: memory of its own, not from Node's pool, and not zero-filled (every byte of a frame is written).
  const memory = Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer & { [FRAME_MEMORY]?: true };
  memory[FRAME_MEMORY] = true;
  return memory;
}

let slab = frameMemory(SLAB_BYTES);
let used = 0;

/**
 * `length` bytes for one outbound frame, not zeroed (the caller writes all of them), with HEADROOM
 * bytes in front of them that belong to this frame alone and that only the WebSocket layer writes.
 * Give the view on as returned: a view cut from it does not have the headroom (see hasHeadroom).
 */
export function allocFrame(length: number): Buffer {
  const size = HEADROOM + length;
  if (size > MAX_SLAB_FRAME) return Buffer.from(frameMemory(size), HEADROOM, length);
  if (used + size > SLAB_BYTES) {
    slab = frameMemory(SLAB_BYTES);
    used = 0;
  }
  const frame = Buffer.from(slab, used + HEADROOM, length);
  used += (size + 7) & ~7; // the next frame's headroom starts 8-byte aligned
  return frame;
}

/** True when `bytes` came from allocFrame: its HEADROOM bytes in front are free for a header. */
export function hasHeadroom(bytes: Uint8Array): boolean {
  return (bytes.buffer as Marked)[FRAME_MEMORY] === true && bytes.byteOffset >= HEADROOM;
}
