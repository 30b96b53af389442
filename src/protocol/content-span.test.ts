import { describe, expect, it } from 'vitest';
import { contentSpan } from './content-span.js';
import { mulberry32 } from '../../test/support/seeded-random.js';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The text `contentSpan` points at in `frame`, or undefined. */
function spanText(frame: string): string | undefined {
  const bytes = utf8.encode(frame);
  const span = contentSpan(bytes);
  return span === undefined ? undefined : fromUtf8.decode(bytes.subarray(span.start, span.end));
}

describe('contentSpan', () => {
  it.each([
    ['a string', '{"type":"MESSAGE","data":{"to":"demo-2","content":"hi"}}', '"hi"'],
    ['an object, content first', '{"data":{"content":{"a":[1,{"b":"}"}]},"to":"demo-2"},"type":"MESSAGE"}', '{"a":[1,{"b":"}"}]}'],
    ['a number before more keys', '{"data":{"content":-1.5e+3,"to":"x"}}', '-1.5e+3'],
    ['a literal at the end', '{"data":{"to":"x","content":null}}', 'null'],
    ['whitespace everywhere', ' \n{ "data" :\t{ "content" : [ true , false ] \r\n} } ', '[ true , false ]'],
    ['escaped quotes and backslashes', String.raw`{"data":{"content":"a\"b\\","to":"\\\""}}`, String.raw`"a\"b\\"`],
    ['non-ASCII', '{"data":{"content":"ünï ✓ 😀","to":"x"}}', '"ünï ✓ 😀"'],
    ['a key that only looks like content', '{"data":{"contents":1,"content":2}}', '2'],
    ['the text "content": inside other values', '{"reference":"\\"content\\":9","data":{"to":"{\\"content\\":7}","content":3}}', '3'],
  ])('finds %s', (_name, frame, expected) => {
    expect(spanText(frame)).toBe(expected);
  });

  it('takes the last of repeated keys, as JSON.parse does', () => {
    expect(spanText('{"data":{"content":1,"content":2}}')).toBe('2');
    expect(spanText('{"data":{"content":1},"data":{"content":2}}')).toBe('2');
    expect(spanText('{"data":{"content":1},"data":{"to":"x"}}')).toBeUndefined();
    expect(spanText('{"data":{"content":1},"data":7}')).toBeUndefined();
  });

  it('gives up where a key on the path is written with escapes', () => {
    expect(spanText(String.raw`{"data":{"cont\u0065nt":1}}`)).toBeUndefined();
    expect(spanText(String.raw`{"d\u0061ta":{"content":1}}`)).toBeUndefined();
    expect(spanText(String.raw`{"data":{"content":1},"x\"y":2}`)).toBeUndefined();
  });

  it('finds nothing when there is no content or no object', () => {
    expect(spanText('{"type":"MESSAGE","data":{"to":"x"}}')).toBeUndefined();
    expect(spanText('[{"data":{"content":1}}]')).toBeUndefined();
    expect(spanText('{}')).toBeUndefined();
    expect(spanText('')).toBeUndefined();
  });

  it('gives up, without throwing, on nesting deeper than it reads (a depth bomb beside the content)', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    expect(spanText(`{"data":{"content":1,"x":${deep}}}`)).toBeUndefined();
    expect(spanText(`{"pad":${deep},"data":{"content":1}}`)).toBeUndefined();
    expect(spanText(`{"data":{"content":${'['.repeat(10)}${']'.repeat(10)}}}`)).toBe('[[[[[[[[[[]]]]]]]]]]');
  });

  it('agrees with JSON.parse on 3,000 generated frames', () => {
    const random = mulberry32(20261122);
    for (let n = 0; n < 3_000; n++) {
      const { frame, escapedPathKey } = generateFrame(random);
      const expected = (JSON.parse(frame) as { data?: { content?: unknown } }).data?.content;
      const text = spanText(frame);
      if (text === undefined) {
        // Only where an escaped key made the scan step back, or there is nothing to find.
        expect(escapedPathKey || expected === undefined, frame).toBe(true);
        continue;
      }
      expect(JSON.parse(text), frame).toStrictEqual(expected);
    }
  });
});

// ---- generated frames: random values, key orders, repeats, whitespace and escapes ----

function generateFrame(random: () => number): { frame: string; escapedPathKey: boolean } {
  let escapedPathKey = false;
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const space = (): string => (random() < 0.7 ? '' : pick([' ', '\n', '\t', '\r\n ', '  ']));
  const text = (): string => {
    const pieces = ['a', 'content', '"', '\\', '\\"', '}', ']', '{', ':', ',', 'ü', '✓', '😀', '\n', '"content":', '\u0000'];
    let s = '';
    for (let i = Math.floor(random() * 6); i > 0; i--) s += pick(pieces);
    return JSON.stringify(s);
  };
  const value = (depth: number): string => {
    const r = random();
    if (depth > 3 || r < 0.3) return text();
    if (r < 0.45) return pick(['0', '-0', '12', '-1.5e+3', '3.25E-2', 'true', 'false', 'null']);
    if (r < 0.7) {
      const items = Array.from({ length: Math.floor(random() * 4) }, () => space() + value(depth + 1) + space());
      return `[${items.join(',')}]`;
    }
    return object(
      Array.from({ length: Math.floor(random() * 4) }, () => [pick(['content', 'data', 'k', 'to']), value(depth + 1)] as const),
      false,
    );
  };
  const key = (name: string, onPath: boolean): string => {
    if (random() >= 0.03) return JSON.stringify(name);
    escapedPathKey ||= onPath;
    return JSON.stringify(name).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  };
  const object = (members: ReadonlyArray<readonly [string, string]>, onPath: boolean): string =>
    `{${members.map(([k, v]) => `${space()}${key(k, onPath)}${space()}:${space()}${v}${space()}`).join(',')}}`;

  const dataMembers: Array<readonly [string, string]> = [['to', text()]];
  for (let i = random() < 0.1 ? 2 : 1; i > 0; i--) dataMembers.push(['content', value(0)]);
  if (random() < 0.1) dataMembers.length = 1; // no content at all
  const top: Array<readonly [string, string]> = [
    ['type', '"MESSAGE"'],
    ['feature', '"FAST"'],
    ['reference', text()],
    ['data', object(shuffle(dataMembers, random), true)],
  ];
  if (random() < 0.1) top.unshift(['data', object([['content', value(0)]], true)]); // replaced by the later one
  const frame = `${space()}${object(shuffleKeepingLastData(top, random), true)}${space()}`;
  return { frame, escapedPathKey };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Shuffles the members, keeping the intended `data` after any decoy `data`. */
function shuffleKeepingLastData(members: Array<readonly [string, string]>, random: () => number): Array<readonly [string, string]> {
  const decoys = members.slice(0, members.length - 4);
  return [...decoys, ...shuffle(members.slice(-4), random)];
}
