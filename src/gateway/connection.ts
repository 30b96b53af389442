/**
 * WsConnection adapts one `ws` socket to core's Transport: bounded sends (slow readers are closed
 * with 1013), delivery proofs by ping/pong, heartbeat bookkeeping, and close as a value.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { Disconnect } from '../protocol/close-codes.js';
import { encodeTextFrame } from './wire/text-frame.js';
import type { ConnectionId } from '../core/ids.js';
import type { Transport } from '../core/transport.js';
import { sinceEpoch, type WsSettings } from './ws-settings.js';

export { closeCodeOf, gatewaySocketClass } from './gateway-socket.js';
export { wsSettings, type WsSettings } from './ws-settings.js';

interface Proof {
  readonly promise: Promise<boolean>;
  readonly resolve: (proved: boolean) => void;
}

/** A ping not yet answered: when it was sent, the proof riding on it, the next one sent. */
interface Ping {
  sentAt: number;
  readonly proof: Proof | null;
  next: Ping | undefined;
}

/**
 * `id` as one flat string. A UUID is built by concatenation (a chain of some 14 rope pieces, about
 * 450 bytes kept per connection); a copy made from its bytes is a single 36-character string.
 */
function flat(id: ConnectionId): ConnectionId {
  return Buffer.from(id, 'latin1').toString('latin1') as ConnectionId;
}

function makeProof(): Proof {
  let resolve!: (proved: boolean) => void;
  const promise = new Promise<boolean>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Bits of WsConnection's flags. PAUSED: not read (backpressure, see core/read-throttle.ts), so no
 * heartbeat verdict while unread. CORKED: the TCP socket is corked, so the frames written in this
 * microtask batch (every delivery from one socket read) leave in one write at its end, or with the
 * next ping when a proof is pending. HEARD: the peer sent a frame since the last heartbeat step.
 */
const CLOSED = 1;
const PAUSED = 2;
const CORKED = 4;
const HEARD = 8;

/** How long the senders to a reader over half its buffer bound are held before the reader is left to reach the bound. */
const SLOW_READER_GRACE_MS = 2_000;

/** Frames held in a corked socket are written at once past this many bytes (a large fetch page). */
const CORK_FLUSH_BYTES = 64 * 1024;

// Its private methods are TypeScript's `private`, not `#`: `#` methods give every instance a brand field (8 bytes).
export class WsConnection implements Transport {
  /** Proof waiting for the next ping (writes since the last ping join it). */
  #nextProof: Proof | null = null;
  /** Pings sent and not yet answered, oldest first (a list: nothing kept while none is out). */
  #oldestPing: Ping | undefined;
  /** CLOSED, PAUSED, CORKED, HEARD: one small integer rather than four fields. */
  #flags = 0;
  /** Since when the peer has been over half its buffer bound (see backlogged). */
  #backloggedSince: number | undefined;
  /** When the peer was last pinged, or last found to have sent a frame (see heartbeat), ms after the settings' epoch. */
  #lastPingAt: number;
  static readonly #pingLater = (connection: WsConnection): void => connection.ping();
  /**
   * Microtask batches, numbered: one microtask at the end of each batch in which a frame was
   * written moves the number on and uncorks the connections corked in that batch.
   */
  static #batch = 0;
  static #batchEndQueued = false;
  /** Connections corked in this batch (they wrote a second frame in it). */
  static #toUncork: WsConnection[] = [];
  static readonly #endBatch = (): void => {
    WsConnection.#batch++;
    WsConnection.#batchEndQueued = false;
    const corked = WsConnection.#toUncork;
    if (corked.length === 0) return;
    WsConnection.#toUncork = [];
    // A connection with a proof pending stays corked until its ping (end of the turn).
    for (const connection of corked) if (connection.#nextProof === null) connection.uncork();
  };
  /** The batch of this connection's last frame written uncorked. */
  #lastBatch = -1;

  readonly id: ConnectionId;

  /** `raw` is the TCP socket under `socket`, corked while frames wait for their proving ping. */
  constructor(
    id: ConnectionId,
    readonly socket: WebSocket,
    readonly raw: Duplex,
    readonly settings: WsSettings,
    /** False when the socket's owner hands its pongs to {@link pongReceived} itself (the gateway's socket class; no listener). */
    listenForPong = true,
  ) {
    this.id = flat(id);
    this.#lastPingAt = sinceEpoch(settings, settings.now());
    if (listenForPong) socket.on('pong', () => this.pongReceived());
  }

  send(frame: string | Uint8Array, proofFollows = false): boolean {
    if ((this.#flags & CLOSED) !== 0 || this.socket.readyState !== 1) return false;
    // Frames leave in one write per batch rather than one each: with the ping at the end of the
    // turn when their receipt is to be proven (one syscall instead of two per message), else at
    // the end of this microtask batch (several deliveries to one connection share a write). The
    // first frame of a batch without a proof leaves at once, and only those after it are held:
    // the usual lone delivery then costs one write, no cork and no buffering in the stream.
    if (proofFollows) this.proofPending(); // corks until the proving ping
    else if ((this.#flags & CORKED) === 0) this.joinBatch();
    const raw = this.raw;
    const corked = (this.#flags & CORKED) !== 0;
    raw.write(encodeTextFrame(frame, !corked && raw.writableLength === 0));
    if (corked && raw.writableLength >= CORK_FLUSH_BYTES) this.uncork();
    // bufferedAmount counts what the kernel has not taken yet: a reader that stopped reading.
    if (this.socket.bufferedAmount > this.settings.maxBufferedBytes) {
      this.close(Disconnect.SlowConsumer);
      return false;
    }
    return true;
  }

  proveDelivery(): Promise<boolean> {
    if ((this.#flags & CLOSED) !== 0) return Promise.resolve(false);
    return this.proofPending().promise;
  }

  /** An uncorked frame without a proof: the first of this batch goes at once; a later one corks the socket until the batch ends. */
  private joinBatch(): void {
    if (this.#lastBatch === WsConnection.#batch) {
      this.cork();
      WsConnection.#toUncork.push(this);
    } else this.#lastBatch = WsConnection.#batch;
    if (!WsConnection.#batchEndQueued) {
      WsConnection.#batchEndQueued = true;
      queueMicrotask(WsConnection.#endBatch);
    }
  }

  private cork(): void {
    if ((this.#flags & CORKED) !== 0) return;
    this.#flags |= CORKED;
    this.raw.cork();
  }

  private uncork(): void {
    if ((this.#flags & CORKED) === 0) return;
    this.#flags &= ~CORKED;
    this.raw.uncork();
  }

  /** The proof of this turn, made (and its ping scheduled, the socket corked) on first use. */
  private proofPending(): Proof {
    if (this.#nextProof === null) {
      this.#nextProof = makeProof();
      this.cork();
      // One ping for everything written in this event-loop turn.
      setImmediate(WsConnection.#pingLater, this);
    }
    return this.#nextProof;
  }

  /** Sends a ping; the proof gathered so far rides on it. Also the heartbeat. Uncorks. */
  private ping(): void {
    const proof = this.#nextProof;
    this.#nextProof = null;
    if ((this.#flags & CLOSED) !== 0 || this.socket.readyState !== 1) {
      proof?.resolve(false);
    } else {
      const sentAt = this.settings.now();
      this.#lastPingAt = sinceEpoch(this.settings, sentAt);
      const ping: Ping = { sentAt, proof, next: undefined };
      // Appended at the end of the list (rarely more than one out: no pointer to its end is kept).
      let last = this.#oldestPing;
      if (last === undefined) this.#oldestPing = ping;
      else {
        while (last.next !== undefined) last = last.next;
        last.next = ping;
      }
      this.socket.ping();
    }
    this.uncork();
  }

  /** A pong arrived on the socket. */
  pongReceived(): void {
    const ping = this.#oldestPing;
    if (ping === undefined) return;
    this.#oldestPing = ping.next;
    ping.proof?.resolve(true);
  }

  /** The peer sent a frame: it is alive, so the heartbeat's next ping can wait (see heartbeat). */
  heard(): void {
    this.#flags |= HEARD;
  }

  /**
   * Heartbeat step, called by the gateway's sweep: closes a connection whose oldest ping has gone
   * unanswered for `pongTimeoutMs` (a peer that vanished without a FIN), and pings one that has
   * been neither pinged nor heard from for `pingIntervalMs`. A peer that sends frames proves
   * itself alive with each of them, so a busy connection is not pinged at all (a ping and its
   * pong cost a write and a read each: at 2,000 connections and a 25 s interval, 80 of each a
   * second); one that falls silent is pinged an interval after the sweep that last heard it.
   */
  heartbeat(nowMs: number, pingIntervalMs: number, pongTimeoutMs: number): void {
    if ((this.#flags & (CLOSED | PAUSED)) !== 0) return;
    const oldest = this.#oldestPing;
    if (oldest !== undefined && nowMs - oldest.sentAt > pongTimeoutMs) {
      this.socket.terminate();
      return;
    }
    if ((this.#flags & HEARD) !== 0) {
      this.#flags &= ~HEARD;
      this.#lastPingAt = sinceEpoch(this.settings, nowMs);
      return;
    }
    if (pingIntervalMs > 0 && ((sinceEpoch(this.settings, nowMs) - this.#lastPingAt) | 0) >= pingIntervalMs) {
      if (this.#nextProof === null) this.ping();
    }
  }

  /**
   * Over half of --max-buffered-bytes not yet taken by the peer, for less than SLOW_READER_GRACE_MS:
   * a slow reader whose senders are held. Past the grace it says false: senders go on, and a reader
   * that still does not read reaches the bound and is closed (1013).
   */
  backlogged(): boolean {
    if ((this.#flags & CLOSED) !== 0 || this.socket.bufferedAmount <= this.settings.maxBufferedBytes / 2) {
      this.#backloggedSince = undefined;
      return false;
    }
    const now = this.settings.now();
    this.#backloggedSince ??= now;
    return now - this.#backloggedSince < SLOW_READER_GRACE_MS;
  }

  /** Stops reading the socket (ws also stops parsing); frames already parsed are still delivered. */
  pause(): void {
    this.#flags |= PAUSED;
    if ((this.#flags & CLOSED) === 0) this.socket.pause();
  }

  /** Reads again; pongs that may wait unread in the socket get a fresh pong timeout. */
  resume(): void {
    this.#flags &= ~PAUSED;
    const now = this.settings.now();
    for (let ping = this.#oldestPing; ping !== undefined; ping = ping.next) ping.sentAt = now;
    if ((this.#flags & CLOSED) === 0) this.socket.resume();
  }

  close(disconnect: Disconnect): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.socket.close(disconnect.code, disconnect.reason);
    this.markClosed();
  }

  /** The socket is gone (close event, or close() called): unproven deliveries stay unproven. */
  private markClosed(): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#flags |= CLOSED;
    this.#nextProof?.resolve(false);
    this.#nextProof = null;
    let ping = this.#oldestPing;
    this.#oldestPing = undefined;
    for (; ping !== undefined; ping = ping.next) ping.proof?.resolve(false);
  }

  /** Called by the endpoint on the socket's 'close' event. */
  socketClosed(): void {
    this.markClosed();
  }
}
