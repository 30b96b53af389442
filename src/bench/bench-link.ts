/**
 * What the runner needs from one load connection, whatever the server speaks: open (and
 * authenticate), send message number n, report arrivals to a shared sink, close.
 */

/**
 * Receives every arrival of every link. One object for the whole run, so that the receive path
 * needs no closure per message. `link` is the index of the connection that received the frame.
 */
export interface LinkSink {
  /** A message with the given header arrived at `link`. */
  delivered(link: number, seq: number, sentUs: number): void;
  /** The server accepted the sender's message (MESSAGE_ACCEPTED) with the given header. */
  accepted(link: number, seq: number, sentUs: number): void;
  /** The server confirmed the sender's message (MESSAGE_CONFIRMATION) with the given header. */
  confirmed(link: number, seq: number, sentUs: number): void;
  /** The server answered with an ERROR frame. */
  error(link: number, code: string): void;
  /** The connection closed after it was open (not during `open`). */
  closed(link: number, code: number): void;
}

/** One load connection. */
export interface BenchLink {
  /** Index of this connection in the run, 0-based. */
  readonly index: number;
  /** True between a successful `open` and the close. */
  readonly isOpen: boolean;
  /** Bytes queued in the socket and not yet written; 0 where the transport cannot tell. */
  readonly bufferedBytes: number;
  /**
   * Connects and, where the protocol has it, authenticates. Resolves when the link can send;
   * rejects with a {@link LinkOpenError} on refusal, timeout or a socket error.
   */
  open(timeoutMs: number): Promise<void>;
  /** Sends message `seq` intended at `sentUs` µs after the run's start. */
  send(seq: number, sentUs: number): void;
  /** Closes the connection at once; idempotent. */
  close(): void;
}

/** A link could not be opened or authenticated. */
export class LinkOpenError extends Error {
  override readonly name = 'LinkOpenError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
