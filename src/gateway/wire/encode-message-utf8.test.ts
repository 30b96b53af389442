import { describe, expect, it } from 'vitest';
import { encodeMessageHead, encodeMessageUtf8 } from './encode-message-utf8.js';
import { encodeMessageRaw } from '../../protocol/frames.js';

describe('encodeMessageUtf8', () => {
  it.each([
    ['plain', 'demo-1', '"hello"', 'm-1', undefined],
    ['with a reference', 'demo-1', '{"a":[1,2]}', 'm-2', 'ref "quoted" ✓'],
    ['non-ASCII everywhere', 'démo-1', '"ünï 😀"', 'm-3', 'ü'],
    ['a content of 70,000 bytes', 'demo-1', JSON.stringify('x'.repeat(70_000)), 'm-4', undefined],
    // Ids of other nodes carry their node id, which an operator chose: the byte path must not take these.
    ['an id with a quote', 'demo-1', '1', 'k-"node"-5', undefined],
    ['an id with a backslash', 'demo-1', '1', 'k-a\\b-5', undefined],
    ['an id with a control character', 'demo-1', '1', 'k-\u0001-5', undefined],
    ['an id with DEL and non-ASCII', 'demo-1', '1', 'k-\u007f-ü-5', undefined],
    ['an empty id', 'demo-1', '1', '', undefined],
  ])('writes the same bytes as the text encoder (%s)', (_name, from, contentJson, id, reference) => {
    const bytes = encodeMessageUtf8(encodeMessageHead(from), Buffer.from(contentJson), id, reference);
    expect(bytes.equals(Buffer.from(encodeMessageRaw(from, contentJson, id, reference)))).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ type: 'MESSAGE', data: { from, content: JSON.parse(contentJson) as unknown, id } });
  });

  it('copies the content, so the source memory can be reused', () => {
    const source = Buffer.from('"abc"');
    const bytes = encodeMessageUtf8(encodeMessageHead('demo-1'), source, 'm-1', undefined);
    source.fill(0x20);
    expect(JSON.parse(bytes.toString('utf8'))).toMatchObject({ data: { content: 'abc' } });
  });
});
