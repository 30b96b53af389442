/**
 * FrameQueue: a bounded, ordered FIFO of WebSocket frames for one direction of a proxy session.
 * Pure: no sockets, no timers. It never drops a frame on its own; a full queue refuses the push.
 */

/** One WebSocket message as it arrived: the payload bytes and whether it was a binary frame. */
export interface Frame {
  readonly data: Uint8Array;
  readonly isBinary: boolean;
}

/** Bounds of one queue. Both are inclusive upper limits. */
export interface FrameQueueLimits {
  /** Most frames held at once. */
  readonly maxFrames: number;
  /** Most payload bytes held at once. */
  readonly maxBytes: number;
}

/**
 * Ordered queue bounded by frame count and byte count.
 *
 * Guarantees: frames come out in the order they went in, each exactly once; `push` either
 * stores the frame or returns false and leaves the queue unchanged (the caller must then act:
 * the proxy closes the affected side with 1013, so nothing is dropped silently).
 */
export class FrameQueue {
  #items: (Frame | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  readonly #limits: FrameQueueLimits;

  constructor(limits: FrameQueueLimits) {
    if (!(limits.maxFrames >= 1) || !(limits.maxBytes >= 1)) {
      throw new RangeError('FrameQueue limits must be at least 1 frame and 1 byte');
    }
    this.#limits = limits;
  }

  /** Frames held. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends a frame. Returns false (and stores nothing) when the frame would take the queue over
   * either bound.
   */
  push(frame: Frame): boolean {
    const size = frame.data.byteLength;
    if (this.length + 1 > this.#limits.maxFrames || this.#bytes + size > this.#limits.maxBytes) return false;
    this.#items.push(frame);
    this.#bytes += size;
    return true;
  }

  /** Removes and returns the oldest frame, or undefined when empty. */
  shift(): Frame | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const frame = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head += 1;
    if (frame !== undefined) this.#bytes -= frame.data.byteLength;
    // Compact once the consumed prefix dominates, so a long-lived queue does not grow forever.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return frame;
  }

  /** Removes and returns every frame, oldest first. */
  takeAll(): Frame[] {
    const out = this.#items.slice(this.#head) as Frame[];
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return out;
  }
}
