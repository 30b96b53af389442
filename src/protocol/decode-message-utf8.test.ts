import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.js';
import { decodeMessageUtf8, skipPlain } from './decode-message-utf8.js';
import { defaultDecodeLimits, type MessageFrame } from './frames.js';
import { mulberry32 } from '../../test/support/seeded-random.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const fast = (frame: string): MessageFrame | undefined => decodeMessageUtf8(encoder.encode(frame), defaultDecodeLimits);

describe('decodeMessageUtf8', () => {
  it('reads a MESSAGE from bytes, content left as the sender wrote it', () => {
    const frame = fast('{"type":"MESSAGE","feature":"FAST","data":{"to":"demo-2","content":{"a": [1, "ü"]}},"reference":"r-1"}');
    expect(frame).toMatchObject({ type: 'MESSAGE', feature: 'FAST', reference: 'r-1', data: { to: 'demo-2' } });
    expect(decoder.decode(frame!.contentUtf8)).toBe('{"a": [1, "ü"]}');
    expect(frame!.data.content).toStrictEqual({ a: [1, 'ü'] });
  });

  it('keeps a leading U+FEFF of an envelope string (a text decoder would drop it as a BOM)', () => {
    expect(fast('{"type":"MESSAGE","reference":"\ufeffr","data":{"to":"\ufeffdemo-2","content":"\ufeff"}}')).toMatchObject({
      reference: '\ufeffr',
      data: { to: '\ufeffdemo-2', content: '\ufeff' },
    });
  });

  it('defaults feature to RELIABLE and treats null feature and reference as absent', () => {
    expect(fast('{"type":"MESSAGE","data":{"to":"demo-2","content":1}}')).toMatchObject({ feature: 'RELIABLE', reference: undefined });
    expect(fast('{"type":"MESSAGE","feature":null,"reference":null,"data":{"to":"demo-2","content":1}}')).toMatchObject({ feature: 'RELIABLE', reference: undefined });
  });

  it.each([
    ['another type', '{"type":"GROUP_MESSAGE","data":{"to":["demo-2"],"content":1}}'],
    ['an escaped envelope string', '{"type":"MESSAGE","data":{"to":"demo\\u002d2","content":1}}'],
    ['an escaped key', '{"type":"MESSAGE","d\\u0061ta":{"to":"demo-2","content":1}}'],
    ['a missing content', '{"type":"MESSAGE","data":{"to":"demo-2"}}'],
    ['a bad feature', '{"type":"MESSAGE","feature":"SLOW","data":{"to":"demo-2","content":1}}'],
    ['a numeric reference', '{"type":"MESSAGE","reference":7,"data":{"to":"demo-2","content":1}}'],
    ['an empty recipient', '{"type":"MESSAGE","data":{"to":"","content":1}}'],
    ['content too deep', `{"type":"MESSAGE","data":{"to":"demo-2","content":${'['.repeat(33)}${']'.repeat(33)}}}`],
    ['trailing garbage', '{"type":"MESSAGE","data":{"to":"demo-2","content":1}}x'],
    ['a trailing comma', '{"type":"MESSAGE","data":{"to":"demo-2","content":[1,]}}'],
    ['a control character in a string', '{"type":"MESSAGE","data":{"to":"demo-2","content":"a\u0001"}}'],
    ['a leading zero', '{"type":"MESSAGE","data":{"to":"demo-2","content":01}}'],
    ['an unknown escape', '{"type":"MESSAGE","data":{"to":"demo-2","content":"a\\x"}}'],
    ['a short \\u escape', '{"type":"MESSAGE","data":{"to":"demo-2","content":"\\u12"}}'],
    ['a bare minus', '{"type":"MESSAGE","data":{"to":"demo-2","content":-}}'],
    ['an exponent without digits', '{"type":"MESSAGE","data":{"to":"demo-2","content":1e}}'],
  ])('leaves %s to the text decoder', (_name, frame) => {
    expect(fast(frame)).toBeUndefined();
  });

  it('finds a quote, backslash or control character at every offset of a long string (the scan steps four bytes at a time)', () => {
    for (let at = 0; at < 12; at++) {
      for (const special of ['\\"', '\\\\', '\\n', '\u0001', '\u001f', '"']) {
        const inner = 'é'.repeat(at % 3) + 'x'.repeat(at) + special + 'y'.repeat(40);
        const frame = `{"type":"MESSAGE","data":{"to":"demo-2","content":"${inner}"}}`;
        let expected: unknown;
        try {
          expected = (JSON.parse(frame) as { data: { content: unknown } }).data.content;
        } catch {
          expected = undefined;
        }
        const quick = fast(frame);
        if (expected === undefined) expect(quick, JSON.stringify(frame)).toBeUndefined();
        else expect(quick?.data.content, JSON.stringify(frame)).toBe(expected);
      }
    }
  });

  it('skipPlain stops where a byte-by-byte scan stops, at every length, offset and memory alignment (the long-run word scan)', () => {
    const reference = (buf: Uint8Array, i: number, end: number): number => {
      while (i < end && buf[i]! >= 0x20 && buf[i] !== 0x22 && buf[i] !== 0x5c) i++;
      return i;
    };
    // Plain bytes of every kind a word can hold: ASCII, UTF-8 lead and continuation bytes, 0x7f, 0xff.
    const plain = [0x78, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0x80];
    const stoppers = [0x22, 0x5c, 0x00, 0x01, 0x0a, 0x1f];
    const memory = new Uint8Array(400);
    for (let shift = 0; shift < 4; shift++) {
      for (const length of [0, 1, 3, 4, 31, 32, 33, 35, 36, 64, 100, 131, 200]) {
        for (let at = 0; at <= length; at += at < 40 ? 1 : 7) {
          for (const stopper of at === length ? [-1] : stoppers) {
            const buf = memory.subarray(shift, shift + length + 8);
            for (let k = 0; k < buf.length; k++) buf[k] = plain[(k * 7 + at) % plain.length]!;
            if (stopper >= 0) buf[at] = stopper;
            const end = at === length ? length : buf.length;
            expect(skipPlain(buf, 0, end), `shift ${shift} length ${length} at ${at} byte ${stopper}`).toBe(reference(buf, 0, end));
            expect(skipPlain(buf, 1, end), `from 1: shift ${shift} length ${length} at ${at} byte ${stopper}`).toBe(reference(buf, 1, end));
          }
        }
      }
    }
  });

  it('agrees with JSON.parse + decodeFrame on 4,000 generated and mutated frames', () => {
    const random = mulberry32(4_242);
    let taken = 0;
    for (let n = 0; n < 4_000; n++) {
      let text = generateFrame(random);
      if (random() < 0.3) text = mutate(text, random);
      const bytes = encoder.encode(text);
      const quick = decodeMessageUtf8(bytes, defaultDecodeLimits);
      if (quick === undefined) continue;
      taken++;
      const slow = decodeFrame(text, defaultDecodeLimits, bytes);
      expect(slow.ok, text).toBe(true);
      if (!slow.ok || slow.frame.type !== 'MESSAGE') throw new Error(text);
      expect({ type: quick.type, feature: quick.feature, reference: quick.reference, to: quick.data.to }, text).toStrictEqual({
        type: slow.frame.type,
        feature: slow.frame.feature,
        reference: slow.frame.reference,
        to: slow.frame.data.to,
      });
      expect(quick.data.content, text).toStrictEqual(slow.frame.data.content);
      expect(decoder.decode(quick.contentUtf8), text).toBe(decoder.decode(slow.frame.contentUtf8));
    }
    expect(taken).toBeGreaterThan(150); // enough frames took the fast path for the comparison to mean something
  });
});

function generateFrame(random: () => number): string {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const space = (): string => (random() < 0.8 ? '' : pick([' ', '\n', '\t', '\r ']));
  const str = (): string => {
    let s = '';
    for (let i = Math.floor(random() * 5); i > 0; i--) s += pick(['a', 'ü', '"', '\\', '✓', '😀', '\n', '\u0000', '/', 'content']);
    const json = JSON.stringify(s);
    return random() < 0.1 ? json.replace(/a/g, '\\u0061') : json;
  };
  const value = (depth: number): string => {
    const r = random();
    if (depth > 4 || r < 0.3) return str();
    if (r < 0.5) return pick(['0', '-0', '7', '-1.5', '2e10', '1E-3', '0.25', 'true', 'false', 'null', '123456789012345678901']);
    if (r < 0.75) return `[${Array.from({ length: Math.floor(random() * 3) }, () => space() + value(depth + 1) + space()).join(',')}]`;
    return `{${Array.from({ length: Math.floor(random() * 3) }, () => `${space()}${str()}${space()}:${space()}${value(depth + 1)}`).join(',')}}`;
  };
  const members: string[] = [];
  const add = (key: string, v: string): void => {
    members.push(`${space()}${JSON.stringify(key)}${space()}:${space()}${v}${space()}`);
  };
  add('type', pick(['"MESSAGE"', '"MESSAGE"', '"MESSAGE"', '"GROUP_MESSAGE"', '"MESS\\u0041GE"', 'null', '3']));
  if (random() < 0.7) add('feature', pick(['"FAST"', '"RELIABLE"', 'null', '"fast"', '1']));
  if (random() < 0.5) add('reference', pick(['"r-1"', '"ü✓"', 'null', '7', '"x\\"y"', JSON.stringify('r'.repeat(300))]));
  const data: string[] = [];
  if (random() < 0.95) data.push(`"to":${pick(['"demo-2"', '"démo-7"', '""', '"x\\ny"', '["demo-2"]', '5'])}`);
  if (random() < 0.95) data.push(`"content":${value(0)}`);
  if (random() < 0.2) data.push(`"content":${value(0)}`);
  if (random() < 0.2) data.push(`"extra":${value(0)}`);
  add('data', random() < 0.05 ? value(0) : `{${data.sort(() => random() - 0.5).join(',')}}`);
  if (random() < 0.2) add('extra', value(0));
  if (random() < 0.1) add('data', `{"to":"demo-3","content":${value(0)}}`);
  return `${space()}{${members.sort(() => random() - 0.5).join(',')}}${space()}`;
}

/** Breaks a frame the ways a client might: a byte changed, dropped, doubled, or the frame cut short. */
function mutate(text: string, random: () => number): string {
  const i = Math.floor(random() * text.length);
  const r = random();
  const junk = '{}[]",:\\0-.eE tn';
  if (r < 0.3) return text.slice(0, i) + junk[Math.floor(random() * junk.length)] + text.slice(i + 1);
  if (r < 0.5) return text.slice(0, i) + text.slice(i + 1);
  if (r < 0.7) return text.slice(0, i) + text[i] + text.slice(i);
  return text.slice(0, i);
}
