/**
 * Session: one resumable client session on this node. Every frame written to it gets the next
 * sequence number (`"seq":N` as the frame's first field), is written to the socket attached now
 * (if any) and kept until the client acknowledges it (ACK, cumulative). A delivery proof asked
 * for a frame resolves true once the client acknowledged it: "delivered" means "acknowledged".
 * A client that comes back with the last `seq` it received gets exactly the frames after it.
 * Bounded: past `maxFrames` unacknowledged frames or `maxBytes` of them the session ends (its
 * proofs resolve false, so RELIABLE entries stay pending in the store for the next fetch).
 * No timers of its own: the plugin runs the resume window.
 */
import type { ConnectionId } from '../ids.js';
import type { Transport } from '../transport.js';
import { Disconnect } from '../../protocol/close-codes.js';

export interface SessionLimits {
  /** Most unacknowledged frames kept. */
  readonly maxFrames: number;
  /** Most bytes (frame text length) of unacknowledged frames kept. */
  readonly maxBytes: number;
}

interface Kept {
  readonly seq: number;
  readonly frame: string | Uint8Array;
}

export interface Proof {
  /** Resolves once the client acknowledged this number (Infinity while claiming: set when the claim settles). */
  seq: number;
  readonly resolve: (proved: boolean) => void;
}

/** What a home node hands over to the node a client resumed on: the frames after the client's `lastSeq`, unnumbered. */
export interface HandOff {
  readonly frames: string[];
  /** The last number the session gave (the handed frames are `lastSeq + 1 … seq`). */
  readonly seq: number;
  /** Delivery proofs still waiting: they resolve as the new node reports the client's acknowledgements. */
  readonly proofs: Proof[];
}

const utf8 = new TextDecoder();

/** A kept frame without its `"seq":N,` (as written by {@link withSeq}), as text. */
export function withoutSeq(framed: string | Uint8Array): string {
  const text = typeof framed === 'string' ? framed : utf8.decode(framed);
  return `{${text.slice(text.indexOf(',') + 1)}`;
}

const encoder = new TextEncoder();

/** `frame` with `"seq":N` as its first field (frames are JSON objects starting with `{`). */
export function withSeq(frame: string | Uint8Array, seq: number): string | Uint8Array {
  if (typeof frame === 'string') return `{"seq":${seq},${frame.slice(1)}`;
  const head = encoder.encode(`{"seq":${seq},`);
  const out = new Uint8Array(head.length + frame.length - 1);
  out.set(head, 0);
  out.set(frame.subarray(1), head.length);
  return out;
}

export class Session {
  /** Last sequence number given. */
  #seq = 0;
  /** Highest sequence number the client acknowledged. */
  #acked = 0;
  /** Unacknowledged frames, oldest first (from index #head). */
  #kept: Kept[] = [];
  #head = 0;
  #bytes = 0;
  #proofs: Proof[] = [];
  #wire: Transport | undefined;
  #ended = false;
  /** While a claim of the session's previous copy runs: frames written meanwhile, numbered once it settles. */
  #claiming: { frames: Array<string | Uint8Array>; bytes: number } | undefined;
  /** Which link may write now (older connections of the session are muted once a newer one takes over). */
  current: SessionLink | undefined;

  constructor(
    readonly id: string,
    readonly token: string,
    readonly userId: string,
    readonly limits: SessionLimits,
    /** Called once when the session ends (overflow, window passed, refused resume, shutdown). */
    readonly onEnd: (session: Session, disconnect: Disconnect | undefined) => void,
    /** The number the client has: a session resumed from another node continues after it. */
    startSeq = 0,
  ) {
    this.#seq = startSeq;
    this.#acked = startSeq;
  }

  get seq(): number {
    return this.#seq;
  }
  get acked(): number {
    return this.#acked;
  }
  get ended(): boolean {
    return this.#ended;
  }
  get attached(): boolean {
    return this.#wire !== undefined;
  }
  /** Unacknowledged frames kept. */
  get keptFrames(): number {
    return this.#kept.length - this.#head;
  }
  get keptBytes(): number {
    return this.#bytes;
  }

  /** A new link for one connection of the session; it becomes the current one. */
  link(wire: Transport): SessionLink {
    const link = new SessionLink(this, wire.id, wire);
    this.current = link;
    return link;
  }

  /** Numbers, keeps and writes a frame. False when the session has ended. */
  write(frame: string | Uint8Array): boolean {
    if (this.#ended) return false;
    const claiming = this.#claiming;
    if (claiming !== undefined) {
      claiming.frames.push(frame);
      claiming.bytes += frame.length;
      if (this.keptFrames + claiming.frames.length > this.limits.maxFrames || this.#bytes + claiming.bytes > this.limits.maxBytes) this.end(Disconnect.ResumeBufferFull, false);
      return true;
    }
    const seq = ++this.#seq;
    const framed = withSeq(frame, seq);
    this.#kept.push({ seq, frame: framed });
    this.#bytes += framed.length;
    if (this.keptFrames > this.limits.maxFrames || this.#bytes > this.limits.maxBytes) {
      // Over the bound: the session ends (a later resume is refused). A socket attached now stays
      // open and goes on unnumbered (its links write straight to it, proven by pong as without a
      // session); with none, nothing is written.
      const wire = this.#wire;
      this.end(Disconnect.ResumeBufferFull, false);
      return wire !== undefined && wire.send(frame);
    }
    // A socket that refuses (closing, or over its buffer bound) is detached; the frame stays kept for the resume.
    if (this.#wire !== undefined && !this.#wire.send(framed)) this.#wire = undefined;
    return true;
  }

  /** Resolves true once the client acknowledged every frame written so far; false if the session ends first. */
  proveDelivery(): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    if (this.#claiming !== undefined) return new Promise((resolve) => this.#proofs.push({ seq: Infinity, resolve }));
    if (this.#seq <= this.#acked) return Promise.resolve(true);
    return new Promise((resolve) => this.#proofs.push({ seq: this.#seq, resolve }));
  }

  /** A cumulative acknowledgement. False (nothing changes) when `seq` is beyond what was written. */
  ack(seq: number): boolean {
    if (seq > this.#seq) return false;
    if (seq <= this.#acked) return true;
    this.#acked = seq;
    while (this.#head < this.#kept.length && this.#kept[this.#head]!.seq <= seq) {
      this.#bytes -= this.#kept[this.#head]!.frame.length;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#kept.length) {
      this.#kept = this.#kept.slice(this.#head);
      this.#head = 0;
    }
    let done = 0;
    while (done < this.#proofs.length && this.#proofs[done]!.seq <= seq) this.#proofs[done++]!.resolve(true);
    if (done > 0) this.#proofs = this.#proofs.slice(done);
    return true;
  }

  /** A claim of the session's previous copy starts: frames written until {@link settleClaim} wait, unnumbered. */
  beginClaim(): void {
    this.#claiming = { frames: [], bytes: 0 };
  }

  /**
   * The claim settled. With `handed` (resumed), the handed frames are numbered first, from the
   * client's number on, then those written meanwhile, less the ones `sameAs` finds handed too (a
   * delivery both nodes received while the claim ran). Without (refused), numbering restarts at 0
   * with the frames written meanwhile.
   */
  settleClaim(handed: readonly string[] | undefined, keyOf: (frame: string | Uint8Array) => string): void {
    const waiting = this.#claiming;
    this.#claiming = undefined;
    if (waiting === undefined || this.#ended) return;
    if (handed === undefined) {
      this.#seq = 0;
      this.#acked = 0;
    }
    const seen = new Set<string>();
    for (const frame of handed ?? []) {
      seen.add(keyOf(frame));
      if (!this.write(frame)) return;
    }
    for (const frame of waiting.frames) if (!seen.has(keyOf(frame)) && !this.write(frame)) return;
    for (const p of this.#proofs) if (p.seq === Infinity) p.seq = this.#seq;
    if (this.#seq <= this.#acked) this.ack(this.#acked);
  }

  /**
   * Hands the session to the node its client resumed on: the frames after `lastSeq`, and the
   * proofs still waiting (which resolve from the new node's reports); the session ends here, its
   * connection closed as resumed.
   */
  handOff(lastSeq: number): HandOff {
    const frames: string[] = [];
    for (let i = this.#head; i < this.#kept.length; i++) if (this.#kept[i]!.seq > lastSeq) frames.push(withoutSeq(this.#kept[i]!.frame));
    const handed: HandOff = { frames, seq: this.#seq, proofs: this.#proofs };
    this.#proofs = [];
    this.end(Disconnect.SessionResumed);
    return handed;
  }

  /** True when a client that received up to `lastSeq` can be given exactly what follows. */
  canResumeFrom(lastSeq: number): boolean {
    return !this.#ended && lastSeq >= this.#acked && lastSeq <= this.#seq;
  }

  /** Attaches a socket: the client has everything up to `lastSeq`; the kept frames after it are written now, in order. */
  attach(wire: Transport, lastSeq: number): void {
    this.ack(lastSeq);
    this.#wire = wire;
    for (let i = this.#head; i < this.#kept.length; i++) {
      if (!wire.send(this.#kept[i]!.frame)) {
        this.#wire = undefined;
        return;
      }
    }
  }

  /** The socket `wire` is gone (closed, or replaced). */
  detach(wire: Transport): void {
    if (this.#wire === wire) this.#wire = undefined;
  }

  /** Ends the session: proofs resolve false, kept frames are dropped, `onEnd` runs once; with `disconnect` (and `closeWire`), the attached socket is closed with it. */
  end(disconnect: Disconnect | undefined, closeWire = true): void {
    if (this.#ended) return;
    this.#ended = true;
    const proofs = this.#proofs;
    this.#proofs = [];
    this.#kept = [];
    this.#head = 0;
    this.#bytes = 0;
    const wire = this.#wire;
    this.#wire = undefined;
    for (const p of proofs) p.resolve(false);
    this.onEnd(this, disconnect);
    if (wire !== undefined && disconnect !== undefined && closeWire) wire.close(disconnect);
  }
}

/**
 * One connection's view of its session, installed as the connection's transport: its frames go
 * into the session while it is the session's current link; an older link (a connection the
 * client has since resumed from) writes nothing.
 */
export class SessionLink implements Transport {
  /** Sees every frame written through the link (the accept log reads MESSAGE_ACCEPTED and ERROR). */
  observer: ((frame: string | Uint8Array) => void) | undefined;

  constructor(
    readonly session: Session,
    readonly id: ConnectionId,
    readonly wire: Transport,
  ) {}

  send(frame: string | Uint8Array, proofFollows?: boolean): boolean {
    this.observer?.(frame);
    if (this.session.current !== this) return false;
    // A session that ended over its bound leaves its connection speaking the plain protocol.
    if (this.session.ended) return this.wire.send(frame, proofFollows);
    return this.session.write(frame);
  }

  proveDelivery(): Promise<boolean> {
    return this.session.ended ? this.wire.proveDelivery() : this.session.proveDelivery();
  }

  close(disconnect: Disconnect): void {
    // The node is shutting down: sessions live in its memory and cannot outlast it, so the session
    // ends now (its proofs resolve false and the shutdown's flush need not wait for them).
    if (disconnect.code === Disconnect.ShuttingDown.code) this.session.end(undefined);
    this.wire.close(disconnect);
  }
}
