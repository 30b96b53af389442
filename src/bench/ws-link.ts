/**
 * A load connection over a plain `ws` socket: the Switchboard protocol (AUTH_CLIENT, then MESSAGE
 * frames) or the raw echo floor (the same frames, echoed back unchanged, no auth).
 */
import WebSocket from 'ws';
import { FrameScanner, Received, type FrameBuilder } from './bench-codec.js';
import { LinkOpenError, type BenchLink, type LinkSink } from './bench-link.js';

/** How one {@link WsLink} talks. */
export interface WsLinkOptions {
  readonly url: string;
  readonly index: number;
  /** AUTH_CLIENT fields; absent for the echo floor (no authentication). */
  readonly auth?: { readonly appId: string; readonly userId: string; readonly token: string };
  /** Prefix from {@link FrameBuilder.messagePrefix} / {@link FrameBuilder.groupPrefix}. */
  readonly prefix: string;
  readonly builder: FrameBuilder;
  /** Ask for MESSAGE_ACCEPTED by sending the header as the `reference` too. */
  readonly withReference: boolean;
  readonly sink: LinkSink;
  /** Address to connect from (spreads a large run over loopback addresses); absent: the system's choice. */
  readonly localAddress?: string;
}

export class WsLink implements BenchLink {
  readonly index: number;
  readonly #options: WsLinkOptions;
  readonly #scanner = new FrameScanner();
  #socket: WebSocket | undefined;
  #isOpen = false;

  constructor(options: WsLinkOptions) {
    this.index = options.index;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }

  get bufferedBytes(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  open(timeoutMs: number): Promise<void> {
    const { url, auth, index } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const localAddress = this.#options.localAddress;
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, ...(localAddress === undefined ? {} : { localAddress }) });
      this.#socket = socket;
      let settled = false;
      const timer = setTimeout(() => fail(new LinkOpenError(`connection ${index}: not ready within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.terminate();
        reject(err);
      };
      const ready = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#isOpen = true;
        socket.on('message', this.#onMessage);
        resolve();
      };
      socket.on('error', (err) => {
        fail(new LinkOpenError(`connection ${index}: ${err.message}`, { cause: err }));
      });
      socket.on('close', (code) => {
        fail(new LinkOpenError(`connection ${index}: closed with ${code} before it was ready`));
        if (this.#isOpen) {
          this.#isOpen = false;
          this.#options.sink.closed(index, code);
        }
      });
      socket.once('open', () => {
        if (auth === undefined) {
          // The floor gets the same opening exchange as an authenticated connection (one small
          // frame each way), so that idle memory compares connections in the same state.
          socket.once('message', () => ready());
          socket.send('{"type":"HELLO"}');
          return;
        }
        const onAuth = (data: WebSocket.RawData): void => {
          const kind = this.#scanner.scan(rawText(data));
          if (kind === Received.AuthReply) {
            socket.off('message', onAuth);
            if (this.#scanner.authenticated) ready();
            else fail(new LinkOpenError(`connection ${index}: ${auth.userId} not authenticated`));
          }
        };
        socket.on('message', onAuth);
        socket.send(JSON.stringify({ type: 'AUTH_CLIENT', data: auth }));
      });
    });
  }

  send(seq: number, sentUs: number): void {
    const { builder, prefix, withReference } = this.#options;
    this.#socket?.send(withReference ? builder.referencedFrame(prefix, seq, sentUs) : builder.frame(prefix, seq, sentUs));
  }

  close(): void {
    this.#isOpen = false;
    this.#socket?.terminate();
  }

  // One bound handler per connection (not per message).
  readonly #onMessage = (data: WebSocket.RawData): void => {
    const s = this.#scanner;
    const sink = this.#options.sink;
    switch (Buffer.isBuffer(data) ? s.scanBytes(data) : s.scan(rawText(data))) {
      case Received.Message:
        sink.delivered(this.index, s.seq, s.sentUs);
        break;
      case Received.Accepted:
        sink.accepted(this.index, s.seq, s.sentUs);
        break;
      case Received.Confirmed:
        sink.confirmed(this.index, s.seq, s.sentUs);
        break;
      case Received.Error:
        sink.error(this.index, s.errorCode);
        break;
      case Received.AuthReply:
      case Received.Other:
        break;
    }
  };
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
