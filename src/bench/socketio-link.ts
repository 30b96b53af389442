/**
 * A load connection to the Socket.IO 4 comparison server: the user id goes in the handshake's
 * `auth`, messages are `message` events `{to, content}` routed by the server to the user's room.
 * socket.io-client is a devDependency, loaded by the caller with a dynamic import.
 */
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { FrameScanner, type FrameBuilder } from './bench-codec.js';
import { LinkOpenError, type BenchLink, type LinkSink } from './bench-link.js';

/** socket.io-client's `io` function. */
export type SocketIoConnect = (url: string, options: Partial<ManagerOptions & SocketOptions>) => Socket;

export interface SocketIoLinkOptions {
  /** http:// origin of the Socket.IO server. */
  readonly url: string;
  readonly index: number;
  readonly userId: string;
  /** Recipient of every message of this link. */
  readonly to: string;
  readonly builder: FrameBuilder;
  readonly sink: LinkSink;
  readonly connect: SocketIoConnect;
}

/** The payload of a delivered `message` event. */
interface Delivered {
  readonly content?: unknown;
}

export class SocketIoLink implements BenchLink {
  readonly index: number;
  readonly #options: SocketIoLinkOptions;
  readonly #scanner = new FrameScanner();
  #socket: Socket | undefined;
  #isOpen = false;

  constructor(options: SocketIoLinkOptions) {
    this.index = options.index;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }

  get bufferedBytes(): number {
    return 0;
  }

  open(timeoutMs: number): Promise<void> {
    const { url, userId, index } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const socket = this.#options.connect(url, { transports: ['websocket'], reconnection: false, timeout: timeoutMs, auth: { userId }, forceNew: true });
      this.#socket = socket;
      let settled = false;
      const timer = setTimeout(() => fail(new LinkOpenError(`connection ${index}: not ready within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        reject(err);
      };
      socket.on('connect_error', (err) => {
        fail(new LinkOpenError(`connection ${index}: ${err.message}`, { cause: err }));
      });
      socket.on('disconnect', (reason) => {
        fail(new LinkOpenError(`connection ${index}: ${reason} before it was ready`));
        if (this.#isOpen) {
          this.#isOpen = false;
          this.#options.sink.closed(index, 1006);
        }
      });
      socket.on('message', this.#onMessage);
      socket.once('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#isOpen = true;
        resolve();
      });
    });
  }

  send(seq: number, sentUs: number): void {
    this.#socket?.emit('message', { to: this.#options.to, content: this.#options.builder.content(seq, sentUs) });
  }

  close(): void {
    this.#isOpen = false;
    this.#socket?.close();
  }

  readonly #onMessage = (message: Delivered): void => {
    const content = message.content;
    if (typeof content === 'string' && this.#scanner.readHeader(content, 0)) {
      this.#options.sink.delivered(this.index, this.#scanner.seq, this.#scanner.sentUs);
    }
  };
}
