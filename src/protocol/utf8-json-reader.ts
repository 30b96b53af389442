/**
 * The byte reader under decodeMessageUtf8 and contentSpan: a cursor over one frame's UTF-8 bytes
 * and the JSON grammar of RFC 8259 read on it (strings, numbers, literals, nested values, object
 * members). The frame and the read position are module state, set by beginFrame and cleared by
 * endFrame, so that a frame costs no cursor object and the hot loops (readString, readValue,
 * skipSpace) touch only this module's variables; the envelope readers move the cursor through
 * peek, position and advance (small enough to be inlined). One frame at a time: the readers run
 * to completion and never call out while a frame is open. No I/O; browser-safe.
 */
import { skipPlain } from './skip-plain.js';

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** A keyword's bytes (ASCII). */
export const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const TRUE = bytesOf('true');
const FALSE = bytesOf('false');
export const NULL = bytesOf('null');

/** The frame being read and the read position: module state, so that a frame costs no cursor object. */
let b: Uint8Array = new Uint8Array(0);
let at = 0;
/** Set by readString: the string just read had an escape. */
let escaped = false;
/** Deepest array/object nesting seen by readValue since it was reset. */
let deepest = 0;

/** End of the key read by the last readKey (the index of its closing quote). */
let lastKeyEnd = 0;

const EMPTY = new Uint8Array(0);

/** Opens `frame` for reading at its first byte. */
export function beginFrame(frame: Uint8Array): void {
  b = frame;
  at = 0;
}

/** Lets go of the frame (the module holds no caller's bytes between frames). */
export function endFrame(): void {
  b = EMPTY;
}

/** The byte at the read position (undefined past the end). */
export function peek(): number | undefined {
  return b[at];
}

/** The read position. */
export function position(): number {
  return at;
}

/** Moves the read position one byte on. */
export function advance(): void {
  at++;
}

/** True when the read position is at the end of the frame. */
export function atEnd(): boolean {
  return at === b.length;
}

/** The frame's bytes in `[start, end)`, a view (no copy). */
export function bytesAt(start: number, end: number): Uint8Array {
  return b.subarray(start, end);
}

/** Whether the string the last readString read had an escape. */
export function wasEscaped(): boolean {
  return escaped;
}

/** Starts counting nesting afresh for the next readValue. */
export function resetDepth(): void {
  deepest = 0;
}

/** Deepest array/object nesting readValue saw since resetDepth. */
export function deepestSeen(): number {
  return deepest;
}

/** End of the key read by the last readKey (the index of its closing quote). */
export function endOfKey(): number {
  return lastKeyEnd;
}

export function skipSpace(): void {
  for (;;) {
    const c = b[at];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
    else return;
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/**
 * At an opening quote: reads the string to past its closing quote. Sets `escaped`. Works on
 * locals (the module's `b` and `at` read once, `at` written once): storing a module variable per
 * byte cost about a fifth of a 1 KB frame's decode.
 */
export function readString(): boolean {
  const buf = b;
  const end = buf.length;
  let i = at + 1;
  let sawEscape = false;
  let ok = false;
  for (;;) {
    i = skipPlain(buf, i, end);
    if (i >= end) break;
    const c = buf[i]!;
    if (c === QUOTE) {
      i++;
      ok = true;
      break;
    }
    if (c < 0x20) break;
    sawEscape = true; // a backslash
    const e = buf[i + 1];
    if (e === 0x75) {
      if (!isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) break;
      i += 6;
    } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      i += 2;
    } else break;
  }
  at = i;
  escaped = sawEscape;
  return ok;
}

function readDigits(): boolean {
  const start = at;
  while (b[at]! >= ZERO && b[at]! <= NINE) at++;
  return at > start;
}

function readNumber(): boolean {
  if (b[at] === MINUS) at++;
  if (b[at] === ZERO) at++;
  else if (!readDigits()) return false;
  if (b[at] === DOT) {
    at++;
    if (!readDigits()) return false;
  }
  if (b[at] === 0x65 || b[at] === 0x45) {
    at++;
    if (b[at] === 0x2b || b[at] === MINUS) at++;
    if (!readDigits()) return false;
  }
  return true;
}

function readLiteral(word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  at += word.length;
  return true;
}

/** Reads any value; `depth` is the nesting it sits in. Gives up past `limit` (no deep recursion). */
export function readValue(depth: number, limit: number): boolean {
  const c = b[at];
  if (c === QUOTE) return readString();
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    if (depth + 1 > limit) return false;
    if (depth + 1 > deepest) deepest = depth + 1;
    const close = c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY;
    at++;
    skipSpace();
    if (b[at] === close) {
      at++;
      return true;
    }
    for (;;) {
      if (c === OPEN_OBJECT) {
        if (b[at] !== QUOTE || !readString()) return false;
        skipSpace();
        if (b[at] !== COLON) return false;
        at++;
        skipSpace();
      }
      if (!readValue(depth + 1, limit)) return false;
      skipSpace();
      if (b[at] === close) {
        at++;
        return true;
      }
      if (b[at] !== COMMA) return false;
      at++;
      skipSpace();
    }
  }
  if (c === 0x74) return readLiteral(TRUE);
  if (c === 0x66) return readLiteral(FALSE);
  if (c === 0x6e) return readLiteral(NULL);
  return readNumber();
}

export function spanIs(start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word[k]) return false;
  return true;
}

/**
 * An escape-free string's characters (the bytes between its quotes). ASCII is copied into a small
 * array of codes and made one string from it: about half the time of `fromCharCode.apply` on a
 * byte view (its generic array-like path was the larger cost for a 10-character userId).
 */
export function text(start: number, end: number): string {
  const length = end - start;
  if (length > 256) return utf8.decode(b.subarray(start, end));
  const codes = new Array<number>(length);
  for (let k = 0; k < length; k++) {
    const c = b[start + k]!;
    if (c >= 0x80) return utf8.decode(b.subarray(start, end));
    codes[k] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * At an object member: reads its key (a string without escapes) and the colon after it, and
 * leaves `at` on the value. Returns the key's start (its end is `lastKeyEnd`), or -1.
 */
export function readKey(): number {
  if (b[at] !== QUOTE) return -1;
  const start = at + 1;
  if (!readString() || escaped) return -1;
  lastKeyEnd = at - 1;
  skipSpace();
  if (b[at] !== COLON) return -1;
  at++;
  skipSpace();
  return start;
}

/** At the start of a frame: past its opening brace to its first member's key. False unless the frame is a non-empty object. */
export function openFrameObject(): boolean {
  skipSpace();
  if (b[at] !== OPEN_OBJECT) return false;
  at++;
  skipSpace();
  return b[at] !== CLOSE_OBJECT;
}

export const NEXT = 0;
export const CLOSED = 1;
export const BAD = 2;

/** After an object member's value: NEXT past a comma, CLOSED on the closing brace (not consumed), BAD otherwise. */
export function afterMember(): typeof NEXT | typeof CLOSED | typeof BAD {
  skipSpace();
  if (b[at] === CLOSE_OBJECT) return CLOSED;
  if (b[at] !== COMMA) return BAD;
  at++;
  skipSpace();
  return NEXT;
}
