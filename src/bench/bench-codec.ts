/**
 * The bench's wire shortcuts: pre-built frame pieces for sending, and a cheap scan of received
 * frames that finds the message number and intended send time without parsing the whole JSON
 * (or, from raw bytes, without decoding it). Pure; no sockets.
 */
import type { Feature } from '../protocol/frames.js';

/** What a received frame turned out to be. */
export const Received = {
  /** A MESSAGE carrying a bench header: `seq` and `sentUs` are set. */
  Message: 1,
  /** A MESSAGE_ACCEPTED whose reference is a bench header: `seq` and `sentUs` are set. */
  Accepted: 2,
  /** AUTH_CLIENT_REPLY: `authenticated` is set. */
  AuthReply: 3,
  /** ERROR: `errorCode` is set. */
  Error: 4,
  /** Anything else (presence, unknown). */
  Other: 5,
  /** A MESSAGE_CONFIRMATION whose reference is a bench header: `seq` and `sentUs` are set. */
  Confirmed: 6,
} as const;
export type Received = (typeof Received)[keyof typeof Received];

const CONTENT_KEY = '"content":"';
const REFERENCE_KEY = '"reference":"';
const MESSAGE_HEAD = '{"type":"MESSAGE",';
const ACCEPTED_HEAD = '{"type":"MESSAGE_ACCEPTED",';
const CONTENT_KEY_BYTES = Buffer.from(CONTENT_KEY);
const REFERENCE_KEY_BYTES = Buffer.from(REFERENCE_KEY);
const MESSAGE_HEAD_BYTES = Buffer.from(MESSAGE_HEAD);
const ACCEPTED_HEAD_BYTES = Buffer.from(ACCEPTED_HEAD);

/**
 * Builds outgoing frames. The content of message `seq` is `"<seq>.<sentUs>."` followed by padding,
 * `payloadChars` characters in all (more only when the header alone is longer). The padding is
 * built once; each frame is three concatenations.
 */
export class FrameBuilder {
  readonly #padding: string;
  readonly #payloadChars: number;
  readonly #suffix: string;
  readonly #feature: Feature;

  constructor(payloadChars: number, feature: Feature) {
    this.#payloadChars = payloadChars;
    this.#padding = 'x'.repeat(payloadChars);
    this.#feature = feature;
    this.#suffix = `"},"feature":"${feature}"}`;
  }

  /** The constant start of a MESSAGE frame to `to`; build once per connection. */
  messagePrefix(to: string): string {
    return `{"type":"MESSAGE","data":{"to":${JSON.stringify(to)},"content":"`;
  }

  /** The constant start of a GROUP_MESSAGE frame to `to`; build once per connection. */
  groupPrefix(to: readonly string[]): string {
    return `{"type":"GROUP_MESSAGE","data":{"to":${JSON.stringify(to)},"content":"`;
  }

  /** The content string of message `seq` intended at `sentUs` µs. */
  content(seq: number, sentUs: number): string {
    const header = `${seq}.${sentUs}.`;
    const pad = this.#payloadChars - header.length;
    return pad > 0 ? header + this.#padding.slice(0, pad) : header;
  }

  /** A whole frame: `prefix` from {@link messagePrefix} or {@link groupPrefix}. */
  frame(prefix: string, seq: number, sentUs: number): string {
    return prefix + this.content(seq, sentUs) + this.#suffix;
  }

  /** A MESSAGE frame that carries the header as its `reference` too (asks for MESSAGE_ACCEPTED). */
  referencedFrame(prefix: string, seq: number, sentUs: number): string {
    return `${prefix}${this.content(seq, sentUs)}"},"feature":"${this.#feature}","reference":"${seq}.${sentUs}"}`;
  }
}

/**
 * Reads received frames. After {@link scan} returns, the public fields describe the frame; the
 * object is reused so that the hot path allocates nothing.
 */
export class FrameScanner {
  seq = -1;
  sentUs = -1;
  authenticated = false;
  errorCode = '';

  /** Classifies one text frame from the server and fills the fields that apply. */
  scan(text: string): Received {
    if (text.startsWith(MESSAGE_HEAD)) {
      const at = text.indexOf(CONTENT_KEY);
      if (at >= 0 && this.readHeader(text, at + CONTENT_KEY.length)) return Received.Message;
      return this.#slow(text);
    }
    if (text.startsWith(ACCEPTED_HEAD)) {
      const at = text.indexOf(REFERENCE_KEY);
      if (at >= 0 && this.readHeader(text, at + REFERENCE_KEY.length)) return Received.Accepted;
      return this.#slow(text);
    }
    return this.#slow(text);
  }

  /**
   * Same as {@link scan} on the raw UTF-8 bytes of a frame: the common frames are classified
   * without decoding the payload into a string; the rest are decoded and scanned.
   */
  scanBytes(bytes: Buffer): Received {
    if (startsWith(bytes, MESSAGE_HEAD_BYTES)) {
      const at = bytes.indexOf(CONTENT_KEY_BYTES, MESSAGE_HEAD_BYTES.length);
      if (at >= 0 && this.#readHeaderBytes(bytes, at + CONTENT_KEY_BYTES.length)) return Received.Message;
    } else if (startsWith(bytes, ACCEPTED_HEAD_BYTES)) {
      const at = bytes.indexOf(REFERENCE_KEY_BYTES, ACCEPTED_HEAD_BYTES.length);
      if (at >= 0 && this.#readHeaderBytes(bytes, at + REFERENCE_KEY_BYTES.length)) return Received.Accepted;
    }
    return this.scan(bytes.toString('utf8'));
  }

  #readHeaderBytes(bytes: Buffer, from: number): boolean {
    let i = from;
    const end = bytes.length;
    let seq = 0;
    let digits = 0;
    for (; i < end && bytes[i]! >= 48 && bytes[i]! <= 57; i++, digits++) seq = seq * 10 + (bytes[i]! - 48);
    if (digits === 0 || bytes[i] !== 46) return false;
    i++;
    let sent = 0;
    digits = 0;
    for (; i < end && bytes[i]! >= 48 && bytes[i]! <= 57; i++, digits++) sent = sent * 10 + (bytes[i]! - 48);
    if (digits === 0) return false;
    this.seq = seq;
    this.sentUs = sent;
    return true;
  }

  /**
   * Parses `<seq>.<sentUs>.` (or `<seq>.<sentUs>` then end of string or `"`) starting at `from`.
   * Returns false when the text there is not a bench header.
   */
  readHeader(text: string, from: number): boolean {
    let i = from;
    let seq = 0;
    let digits = 0;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
      seq = seq * 10 + (c - 48);
      digits++;
    }
    if (digits === 0 || text.charCodeAt(i) !== 46) return false;
    i++;
    let sent = 0;
    digits = 0;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
      sent = sent * 10 + (c - 48);
      digits++;
    }
    if (digits === 0) return false;
    this.seq = seq;
    this.sentUs = sent;
    return true;
  }

  // The rare frames (auth reply, errors, confirmations, or a MESSAGE laid out differently than
  // expected) are parsed properly; correctness first, speed only where it is hot.
  #slow(text: string): Received {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return Received.Other;
    }
    if (typeof frame !== 'object' || frame === null) return Received.Other;
    const { type, data } = frame as { type?: unknown; data?: unknown };
    const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    switch (type) {
      case 'AUTH_CLIENT_REPLY':
        this.authenticated = d.isAuthenticated === true;
        return Received.AuthReply;
      case 'ERROR':
        this.errorCode = typeof d.code === 'string' ? d.code : 'UNKNOWN';
        return Received.Error;
      case 'MESSAGE':
        return typeof d.content === 'string' && this.readHeader(d.content, 0) ? Received.Message : Received.Other;
      case 'MESSAGE_ACCEPTED':
        return typeof d.reference === 'string' && this.readHeader(d.reference, 0) ? Received.Accepted : Received.Other;
      case 'MESSAGE_CONFIRMATION':
        return typeof d.reference === 'string' && this.readHeader(d.reference, 0) ? Received.Confirmed : Received.Other;
      default:
        return Received.Other;
    }
  }
}

function startsWith(bytes: Buffer, head: Buffer): boolean {
  return bytes.length >= head.length && bytes.compare(head, 0, head.length, 0, head.length) === 0;
}
