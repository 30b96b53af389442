/**
 * contentSpan: where `data.content` lies in a frame the text path decoded (JSON.parse +
 * decodeFrame), read on the same byte reader as decodeMessageUtf8, so that the content's bytes
 * can be forwarded as they came there too. No I/O; browser-safe.
 */
import { BAD, CLOSED, CLOSE_OBJECT, OPEN_OBJECT, advance, afterMember, beginFrame, bytesOf, endFrame, endOfKey, openFrameObject, peek, position, readKey, readValue, skipSpace, spanIs } from './utf8-json-reader.js';

const DATA = bytesOf('data');
const CONTENT = bytesOf('content');

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
  beginFrame(frame);
  try {
    return readContentSpan();
  } finally {
    endFrame();
  }
}

function readContentSpan(): Span | undefined {
  let start = -1;
  let end = -1;
  if (!openFrameObject()) return undefined;
  for (;;) {
    const keyStart = readKey();
    if (keyStart < 0) return undefined;
    if (spanIs(keyStart, endOfKey(), DATA) && peek() === OPEN_OBJECT) {
      // A later "data" replaces an earlier one, content and all.
      start = end = -1;
      advance();
      skipSpace();
      if (peek() !== CLOSE_OBJECT) {
        for (;;) {
          const innerStart = readKey();
          if (innerStart < 0) return undefined;
          const isContent = spanIs(innerStart, endOfKey(), CONTENT);
          const valueStart = position();
          if (!readValue(1, SPAN_DEPTH)) return undefined;
          if (isContent) {
            start = valueStart;
            end = position();
          }
          const next = afterMember();
          if (next === BAD) return undefined;
          if (next === CLOSED) break;
        }
      }
      advance();
    } else {
      if (spanIs(keyStart, endOfKey(), DATA)) start = end = -1;
      if (!readValue(0, SPAN_DEPTH)) return undefined;
    }
    const next = afterMember();
    if (next === BAD) return undefined;
    if (next === CLOSED) break;
  }
  return start >= 0 ? { start, end } : undefined;
}
