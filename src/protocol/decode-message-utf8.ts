/**
 * decodeMessageUtf8: the common inbound frame — a MESSAGE whose envelope strings have no escapes —
 * validated and read straight from its UTF-8 bytes, without decoding the frame to a string or
 * building the content's value. The content stays bytes (`contentUtf8`), forwarded as they came.
 * Anything else (another type, an escape in an envelope string, a frame with an error) gives
 * `undefined`, and the caller decodes the text with decodeFrame, which words every error.
 * No I/O; browser-safe.
 *
 * The bytes must be well-formed UTF-8 (the WebSocket layer checks text frames). What this accepts,
 * JSON.parse + decodeFrame accept with the same result (the differential test holds it to that):
 * the full JSON grammar of RFC 8259 is checked, including inside the content.
 *
 * contentSpan, on the same reader: where `data.content` lies in a frame the text path decoded, so
 * that its bytes can be forwarded as they came there too.
 */
import type { DecodeLimits, Feature, MessageFrame } from './frames.js';
import { LazyContent } from './lazy-content.js';
import { skipPlain } from './skip-plain.js';

export { skipPlain } from './skip-plain.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const bytesOf = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const TYPE = bytesOf('type');
const FEATURE = bytesOf('feature');
const REFERENCE = bytesOf('reference');
const DATA = bytesOf('data');
const TO = bytesOf('to');
const CONTENT = bytesOf('content');
const CONFIRMATION_ENABLED = bytesOf('confirmationEnabled');
const MESSAGE = bytesOf('MESSAGE');
const FAST = bytesOf('FAST');
const RELIABLE = bytesOf('RELIABLE');
const TRUE = bytesOf('true');
const FALSE = bytesOf('false');
const NULL = bytesOf('null');

/** The frame being read and the read position: module state, so that a frame costs no cursor object. */
let b: Uint8Array = new Uint8Array(0);
let at = 0;
/** Set by readString: the string just read had an escape. */
let escaped = false;
/** Deepest array/object nesting seen by readValue since it was reset. */
let deepest = 0;

function skipSpace(): void {
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
function readString(): boolean {
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
function readValue(depth: number, limit: number): boolean {
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

function spanIs(start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word[k]) return false;
  return true;
}

/**
 * An escape-free string's characters (the bytes between its quotes). ASCII is copied into a small
 * array of codes and made one string from it: about half the time of `fromCharCode.apply` on a
 * byte view (its generic array-like path was the larger cost for a 10-character userId).
 */
function text(start: number, end: number): string {
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

/** Envelope member values as read (last one wins); NONE: absent, -1 start: present but not usable. */
const NONE = -2;

/**
 * The frame as a MESSAGE, or undefined when it is not one this path takes (the caller then decodes
 * the text). Never throws.
 */
export function decodeMessageUtf8(frame: Uint8Array, limits: DecodeLimits): MessageFrame | undefined {
  b = frame;
  at = 0;
  try {
    return readMessage(limits);
  } finally {
    b = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

/** End of the key read by the last readKey (the index of its closing quote). */
let lastKeyEnd = 0;

/**
 * At an object member: reads its key (a string without escapes) and the colon after it, and
 * leaves `at` on the value. Returns the key's start (its end is `lastKeyEnd`), or -1.
 */
function readKey(): number {
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
function openFrameObject(): boolean {
  skipSpace();
  if (b[at] !== OPEN_OBJECT) return false;
  at++;
  skipSpace();
  return b[at] !== CLOSE_OBJECT;
}

const NEXT = 0;
const CLOSED = 1;
const BAD = 2;

/** After an object member's value: NEXT past a comma, CLOSED on the closing brace (not consumed), BAD otherwise. */
function afterMember(): typeof NEXT | typeof CLOSED | typeof BAD {
  skipSpace();
  if (b[at] === CLOSE_OBJECT) return CLOSED;
  if (b[at] !== COMMA) return BAD;
  at++;
  skipSpace();
  return NEXT;
}

function readMessage(limits: DecodeLimits): MessageFrame | undefined {
  // Each: start/end of the string between its quotes, NONE when absent, -1 when not a plain string.
  let typeStart = NONE;
  let typeEnd = 0;
  let featureStart = NONE;
  let featureEnd = 0;
  let referenceStart = NONE;
  let referenceEnd = 0;
  let hasData = false;
  let toStart = NONE;
  let toEnd = 0;
  let contentStart = NONE;
  let contentEnd = 0;
  let contentDepth = 0;
  const contentLimit = limits.maxContentDepth;

  if (!openFrameObject()) return undefined;
  for (;;) {
    const keyStart = readKey();
    if (keyStart < 0) return undefined;
    const keyEnd = lastKeyEnd;
    const valueStart = at;
    if (spanIs(keyStart, keyEnd, DATA)) {
      // A later "data" replaces an earlier one whole.
      hasData = b[at] === OPEN_OBJECT;
      toStart = NONE;
      contentStart = NONE;
      if (!hasData) {
        if (!readValue(0, 64)) return undefined;
      } else {
        at++;
        skipSpace();
        if (b[at] !== CLOSE_OBJECT) {
          for (;;) {
            const innerStart = readKey();
            if (innerStart < 0) return undefined;
            const innerEnd = lastKeyEnd;
            const start = at;
            if (spanIs(innerStart, innerEnd, CONTENT)) {
              deepest = 0;
              if (!readValue(0, contentLimit)) return undefined;
              contentStart = start;
              contentEnd = at;
              contentDepth = deepest;
            } else if (spanIs(innerStart, innerEnd, TO)) {
              if (b[at] !== QUOTE) {
                if (!readValue(1, 64)) return undefined;
                toStart = -1;
              } else {
                if (!readString()) return undefined;
                toStart = escaped ? -1 : start + 1;
                toEnd = at - 1;
              }
            } else if (spanIs(innerStart, innerEnd, CONFIRMATION_ENABLED)) {
              return undefined; // rare: the text path reads it
            } else if (!readValue(1, 64)) return undefined;
            const next = afterMember();
            if (next === BAD) return undefined;
            if (next === CLOSED) break;
          }
        }
        at++;
      }
    } else {
      const plain = b[at] === QUOTE;
      if (!readValue(0, 64)) return undefined;
      const start = plain && !escaped ? valueStart + 1 : spanIs(valueStart, at, NULL) ? NONE : -1;
      if (spanIs(keyStart, keyEnd, TYPE)) {
        typeStart = start;
        typeEnd = at - 1;
      } else if (spanIs(keyStart, keyEnd, FEATURE)) {
        featureStart = start;
        featureEnd = at - 1;
      } else if (spanIs(keyStart, keyEnd, REFERENCE)) {
        referenceStart = start;
        referenceEnd = at - 1;
      } else if (spanIs(keyStart, keyEnd, CONFIRMATION_ENABLED)) {
        return undefined; // rare: the text path reads it
      }
    }
    const next = afterMember();
    if (next === BAD) return undefined;
    if (next === CLOSED) break;
  }
  at++;
  skipSpace();
  if (at !== b.length) return undefined;

  // The frame is valid JSON. Take it only if every rule of decodeFrame holds; else let it word the error.
  if (typeStart < 0 || !spanIs(typeStart, typeEnd, MESSAGE)) return undefined;
  let feature: Feature;
  if (featureStart === NONE || spanIs(featureStart, featureEnd, RELIABLE)) feature = 'RELIABLE';
  else if (spanIs(featureStart, featureEnd, FAST)) feature = 'FAST';
  else return undefined;
  if (referenceStart === -1 || !hasData || toStart < 0 || contentStart < 0 || contentDepth > contentLimit) return undefined;
  let reference = referenceStart === NONE ? undefined : text(referenceStart, referenceEnd);
  if (reference !== undefined && reference.length > limits.maxReferenceLength) return undefined;
  // A blank reference is no reference (contract §13).
  if (reference !== undefined && reference.trim() === '') reference = undefined;
  const to = text(toStart, toEnd);
  if (to === '' || to.length > limits.maxIdLength) return undefined;
  const contentUtf8 = b.subarray(contentStart, contentEnd);
  return { type: 'MESSAGE', data: new LazyContent(to, contentUtf8), feature, reference, contentUtf8 };
}

/** Half-open byte range `[start, end)` of a JSON value. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Deepest nesting contentSpan reads through (the message path's bound for non-content members). */
const SPAN_DEPTH = 64;

/**
 * Where `data.content` lies in `frame`, the UTF-8 of a frame `JSON.parse` accepted (a MESSAGE or
 * GROUP_MESSAGE on the text path), so its bytes can be forwarded as the sender wrote them. Follows
 * `JSON.parse` where keys repeat (the last one wins). `undefined` — the caller serializes the
 * parsed value again — when there is no content, when a key on the path is written with escapes
 * (matching it would mean decoding it), or past SPAN_DEPTH levels of nesting. Never throws.
 */
export function contentSpan(frame: Uint8Array): Span | undefined {
  b = frame;
  at = 0;
  try {
    return readContentSpan();
  } finally {
    b = EMPTY;
  }
}

function readContentSpan(): Span | undefined {
  let start = -1;
  let end = -1;
  if (!openFrameObject()) return undefined;
  for (;;) {
    const keyStart = readKey();
    if (keyStart < 0) return undefined;
    if (spanIs(keyStart, lastKeyEnd, DATA) && b[at] === OPEN_OBJECT) {
      // A later "data" replaces an earlier one, content and all.
      start = end = -1;
      at++;
      skipSpace();
      if (b[at] !== CLOSE_OBJECT) {
        for (;;) {
          const innerStart = readKey();
          if (innerStart < 0) return undefined;
          const isContent = spanIs(innerStart, lastKeyEnd, CONTENT);
          const valueStart = at;
          if (!readValue(1, SPAN_DEPTH)) return undefined;
          if (isContent) {
            start = valueStart;
            end = at;
          }
          const next = afterMember();
          if (next === BAD) return undefined;
          if (next === CLOSED) break;
        }
      }
      at++;
    } else {
      if (spanIs(keyStart, lastKeyEnd, DATA)) start = end = -1;
      if (!readValue(0, SPAN_DEPTH)) return undefined;
    }
    const next = afterMember();
    if (next === BAD) return undefined;
    if (next === CLOSED) break;
  }
  return start >= 0 ? { start, end } : undefined;
}
