/**
 * contentSpan: where `data.content` lies in the UTF-8 bytes of a MESSAGE / GROUP_MESSAGE frame,
 * so the server can forward the sender's JSON text as it came instead of serializing the parsed
 * value again (a 1 KB content costs more to re-serialize and re-encode than everything else the
 * gateway does with the frame). No I/O; browser-safe.
 *
 * Only ever called on a frame that `JSON.parse` accepted: the scan trusts the syntax and looks
 * at structure only (quotes, backslashes, brackets). It follows `JSON.parse` where keys repeat
 * (the last one wins) and gives up — `undefined`, the caller re-serializes — where a key on the
 * path is written with escapes, since matching those would mean decoding them.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** The bytes of `"data"` and `"content"` between their quotes. */
const DATA = [0x64, 0x61, 0x74, 0x61];
const CONTENT = [0x63, 0x6f, 0x6e, 0x74, 0x65, 0x6e, 0x74];

/** Half-open byte range `[start, end)` of a JSON value. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i]!)) i++;
  return i;
}

/** `i` at an opening quote: the index just past the closing one, or -1. */
function skipString(b: Uint8Array, i: number): number {
  for (let from = i + 1; ; ) {
    const quote = b.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    // A quote is escaped when an odd number of backslashes precede it.
    let slashes = 0;
    while (b[quote - 1 - slashes] === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return quote + 1;
    from = quote + 1;
  }
}

/** `i` at the first byte of a value: the index just past it, or -1. */
function skipValue(b: Uint8Array, i: number): number {
  const first = b[i];
  if (first === QUOTE) return skipString(b, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const c = b[j];
      if (c === QUOTE) {
        const after = skipString(b, j);
        if (after < 0) return -1;
        j = after - 1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return j + 1;
    }
    return -1;
  }
  // A number or a literal: up to the next delimiter.
  let j = i;
  while (j < b.length) {
    const c = b[j]!;
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isSpace(c)) break;
    j++;
  }
  return j > i ? j : -1;
}

function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k] === BACKSLASH) return true;
  return false;
}

/** Does the key between quotes at `[start, end)` read exactly `name`? */
function keyIs(b: Uint8Array, start: number, end: number, name: readonly number[]): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
  return true;
}

/** The last member `readMember` read: key start and end (inside the quotes), value start and end. No allocation per frame. */
const member = new Int32Array(4);
/** `firstMember` / `nextMember` at the object's closing brace. */
const CLOSED = -2;

/**
 * Reads the member `"key" : value` whose key opens at `i` into `member`. False when malformed, or
 * when the key is written with escapes (its meaning is not visible in the bytes).
 */
function readMember(b: Uint8Array, i: number): boolean {
  if (b[i] !== QUOTE) return false;
  const keyEnd = skipString(b, i);
  if (keyEnd < 0 || hasBackslash(b, i + 1, keyEnd - 1)) return false;
  const colon = skipSpace(b, keyEnd);
  if (b[colon] !== COLON) return false;
  const start = skipSpace(b, colon + 1);
  const end = skipValue(b, start);
  if (end < 0) return false;
  member[0] = i + 1;
  member[1] = keyEnd - 1;
  member[2] = start;
  member[3] = end;
  return true;
}

/** The first member's key of the object opening at `open`, CLOSED if it is empty. */
function firstMember(b: Uint8Array, open: number): number {
  const i = skipSpace(b, open + 1);
  return b[i] === CLOSE_OBJECT ? CLOSED : i;
}

/** After a member's value ending at `end`: the next member's key, CLOSED, or -1 if malformed. */
function nextMember(b: Uint8Array, end: number): number {
  const i = skipSpace(b, end);
  if (b[i] === CLOSE_OBJECT) return CLOSED;
  return b[i] === COMMA ? skipSpace(b, i + 1) : -1;
}

/**
 * The span of `data.content` in `frame` (the UTF-8 of a frame `JSON.parse` accepted), or
 * `undefined` when the frame has none or the scan cannot be sure which bytes `JSON.parse` read.
 */
export function contentSpan(frame: Uint8Array): Span | undefined {
  const open = skipSpace(frame, 0);
  if (frame[open] !== OPEN_OBJECT) return undefined;
  let start = -1;
  let end = -1;
  let i = firstMember(frame, open);
  while (i >= 0) {
    if (!readMember(frame, i)) return undefined;
    const valueEnd = member[3]!;
    if (keyIs(frame, member[0]!, member[1]!, DATA)) {
      // A later "data" replaces an earlier one, content and all.
      start = end = -1;
      if (frame[member[2]!] === OPEN_OBJECT) {
        let j = firstMember(frame, member[2]!);
        while (j >= 0) {
          if (!readMember(frame, j)) return undefined;
          if (keyIs(frame, member[0]!, member[1]!, CONTENT)) {
            start = member[2]!;
            end = member[3]!;
          }
          j = nextMember(frame, member[3]!);
        }
        if (j !== CLOSED) return undefined;
      }
    }
    i = nextMember(frame, valueEnd);
  }
  return i === CLOSED && start >= 0 ? { start, end } : undefined;
}
