// A connection that only publishes, on which Redis is told `CLIENT REPLY OFF`: Redis then answers
// nothing on it, so a publish costs Redis no write and this node no wake-up to read an answer
// (on a 2-vCPU machine that was most of the bus's share of a message's CPU). The price: a publish
// is "handed" once written to the socket, not once Redis took it. The bus is at most once anyway
// (pub/sub keeps nothing), so what changes is only when a FAST sender hears MESSAGE_ACCEPTED.
// ioredis keeps the connection (URL, AUTH, TLS, reconnect with backoff); the commands are written
// to its socket directly, as its own command queue would wait for answers that never come.
import type { Redis } from 'ioredis';
import { connectClient, isClientReady } from './redis-connection.js';

const REPLY_OFF = '*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n';
/** What ioredis reports when an answer arrives that no command of its queue waits for. */
const UNEXPECTED_ANSWER = 'Command queue state error';

/** One (channel, payload) pair to publish. */
export type Publication = readonly [name: string, payload: string | Buffer];

export class PublishLink {
  readonly #client: Redis;
  readonly #onBroken: (why: string) => void;
  /** REPLY OFF was written on the current connection. */
  #quiet = false;
  /** Redis answered on this link (a server without CLIENT REPLY, or a proxy): never used again. */
  #broken = false;

  /** `client` is a fresh lazy-connecting ioredis client of its own; `onBroken` is told once if the link is given up. */
  constructor(client: Redis, onBroken: (why: string) => void) {
    this.#client = client;
    this.#onBroken = onBroken;
    client.on('ready', () => {
      if (this.#broken) return;
      client.stream.write(REPLY_OFF);
      this.#quiet = true;
    });
    client.on('close', () => {
      this.#quiet = false;
    });
    client.on('error', (error: Error) => {
      if (!error.message.startsWith(UNEXPECTED_ANSWER) || this.#broken) return;
      this.#broken = true;
      this.#quiet = false;
      this.#onBroken(error.message);
      client.disconnect(false);
    });
  }

  connect(): Promise<void> {
    return connectClient(this.#client);
  }

  /** Can a publish be written now? */
  usable(): boolean {
    return this.#quiet && isClientReady(this.#client);
  }

  /** Bytes written and not yet taken by the kernel (what a slow or frozen Redis leaves waiting here). */
  backlog(): number {
    return this.#client.stream.writableLength;
  }

  /** Writes the publishes, in order, in one system call (usable() must hold). */
  publish(list: readonly Publication[]): void {
    const stream = this.#client.stream;
    stream.cork();
    for (const [name, payload] of list) {
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      stream.write(`*3\r\n$7\r\nPUBLISH\r\n$${String(Buffer.byteLength(name))}\r\n${name}\r\n$${String(bytes)}\r\n`);
      stream.write(payload);
      stream.write('\r\n');
    }
    stream.uncork();
  }

  /** Drops the connection and opens a new one (after a heartbeat that did not come back). */
  reconnect(): void {
    if (this.#broken || this.#client.status === 'end') return;
    this.#quiet = false;
    this.#client.disconnect(true);
  }

  close(): void {
    this.#quiet = false;
    this.#client.disconnect(false);
  }
}
