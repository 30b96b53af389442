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
 * The JSON grammar is read by utf8-json-reader.ts (the module whose state the hot loops use);
 * this module reads the MESSAGE envelope on it and checks decodeFrame's rules.
 */
import type { DecodeLimits, Feature, MessageFrame } from './frames.js';
import { LazyContent } from './lazy-content.js';
import {
  BAD,
  CLOSED,
  CLOSE_OBJECT,
  NULL,
  OPEN_OBJECT,
  QUOTE,
  advance,
  afterMember,
  atEnd,
  beginFrame,
  bytesAt,
  bytesOf,
  deepestSeen,
  endFrame,
  endOfKey,
  openFrameObject,
  peek,
  position,
  readKey,
  readString,
  readValue,
  resetDepth,
  skipSpace,
  spanIs,
  text,
  wasEscaped,
} from './utf8-json-reader.js';

export { skipPlain } from './skip-plain.js';

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

/** Envelope member values as read (last one wins); NONE: absent, -1 start: present but not usable. */
const NONE = -2;

/**
 * The frame as a MESSAGE, or undefined when it is not one this path takes (the caller then decodes
 * the text). Never throws.
 */
export function decodeMessageUtf8(frame: Uint8Array, limits: DecodeLimits): MessageFrame | undefined {
  beginFrame(frame);
  try {
    return readMessage(limits);
  } finally {
    endFrame();
  }
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
    const keyEnd = endOfKey();
    const valueStart = position();
    if (spanIs(keyStart, keyEnd, DATA)) {
      // A later "data" replaces an earlier one whole.
      hasData = peek() === OPEN_OBJECT;
      toStart = NONE;
      contentStart = NONE;
      if (!hasData) {
        if (!readValue(0, 64)) return undefined;
      } else {
        advance();
        skipSpace();
        if (peek() !== CLOSE_OBJECT) {
          for (;;) {
            const innerStart = readKey();
            if (innerStart < 0) return undefined;
            const innerEnd = endOfKey();
            const start = position();
            if (spanIs(innerStart, innerEnd, CONTENT)) {
              resetDepth();
              if (!readValue(0, contentLimit)) return undefined;
              contentStart = start;
              contentEnd = position();
              contentDepth = deepestSeen();
            } else if (spanIs(innerStart, innerEnd, TO)) {
              if (peek() !== QUOTE) {
                if (!readValue(1, 64)) return undefined;
                toStart = -1;
              } else {
                if (!readString()) return undefined;
                toStart = wasEscaped() ? -1 : start + 1;
                toEnd = position() - 1;
              }
            } else if (spanIs(innerStart, innerEnd, CONFIRMATION_ENABLED)) {
              return undefined; // rare: the text path reads it
            } else if (!readValue(1, 64)) return undefined;
            const next = afterMember();
            if (next === BAD) return undefined;
            if (next === CLOSED) break;
          }
        }
        advance();
      }
    } else {
      const plain = peek() === QUOTE;
      if (!readValue(0, 64)) return undefined;
      const start = plain && !wasEscaped() ? valueStart + 1 : spanIs(valueStart, position(), NULL) ? NONE : -1;
      if (spanIs(keyStart, keyEnd, TYPE)) {
        typeStart = start;
        typeEnd = position() - 1;
      } else if (spanIs(keyStart, keyEnd, FEATURE)) {
        featureStart = start;
        featureEnd = position() - 1;
      } else if (spanIs(keyStart, keyEnd, REFERENCE)) {
        referenceStart = start;
        referenceEnd = position() - 1;
      } else if (spanIs(keyStart, keyEnd, CONFIRMATION_ENABLED)) {
        return undefined; // rare: the text path reads it
      }
    }
    const next = afterMember();
    if (next === BAD) return undefined;
    if (next === CLOSED) break;
  }
  advance();
  skipSpace();
  if (!atEnd()) return undefined;

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
  const contentUtf8 = bytesAt(contentStart, contentEnd);
  return { type: 'MESSAGE', data: new LazyContent(to, contentUtf8), feature, reference, contentUtf8 };
}
