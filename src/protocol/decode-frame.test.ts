import { describe, expect, it } from 'vitest';
import { decodeFrame, exceedsDepth } from './decode-frame.js';

describe('decodeFrame', () => {
  it('decodes AUTH_CLIENT with an optional token', () => {
    expect(decodeFrame('{"type":"AUTH_CLIENT","data":{"appId":"a","userId":"a-1","token":"t"}}')).toEqual({
      ok: true,
      frame: { type: 'AUTH_CLIENT', data: { appId: 'a', userId: 'a-1', token: 't' }, reference: undefined },
    });
    const noToken = decodeFrame('{"type":"AUTH_CLIENT","data":{"appId":"a","userId":"a-1"}}');
    expect(noToken.ok && noToken.frame.type === 'AUTH_CLIENT' && noToken.frame.data.token).toBe(undefined);
  });

  it('defaults feature to RELIABLE and treats a null reference as absent', () => {
    const r = decodeFrame('{"type":"MESSAGE","data":{"to":"a-2","content":"x"},"reference":null}');
    expect(r).toEqual({ ok: true, frame: { type: 'MESSAGE', data: { to: 'a-2', content: 'x' }, feature: 'RELIABLE', reference: undefined } });
  });

  it('carries the reference into errors found after it', () => {
    const r = decodeFrame('{"type":"MESSAGE","data":{"to":7,"content":"x"},"reference":"ref"}');
    expect(r).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'data.to must be a userId string', reference: 'ref' } });
  });

  it('removes duplicate group recipients', () => {
    const r = decodeFrame('{"type":"GROUP_MESSAGE","data":{"to":["a-1","a-2","a-1"],"content":1},"feature":"FAST"}');
    expect(r.ok && r.frame.type === 'GROUP_MESSAGE' && r.frame.data.to).toEqual(['a-1', 'a-2']);
  });

  it('accepts a fetch without count (server default) and refuses non-positive or fractional counts', () => {
    expect(decodeFrame('{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{}}').ok).toBe(true);
    for (const c of ['0', '-1', '1.5', '"3"', 'null']) expect(decodeFrame(`{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{"count":${c}}}`).ok).toBe(false);
  });

  it('names unknown types with UNKNOWN_TYPE', () => {
    const r = decodeFrame('{"type":"SUBSCRIBE","data":{}}');
    expect(!r.ok && r.error.code).toBe('UNKNOWN_TYPE');
  });

  it('refuses content nested deeper than the limit without recursion', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = decodeFrame(`{"type":"MESSAGE","data":{"to":"a-1","content":${deep}}}`);
    expect(!r.ok && r.error.code).toBe('BAD_REQUEST');
  });
});

describe('exceedsDepth', () => {
  it('measures arrays and objects, not scalars', () => {
    expect(exceedsDepth('x', 0)).toBe(false);
    expect(exceedsDepth({ a: [1] }, 2)).toBe(false);
    expect(exceedsDepth({ a: [[1]] }, 2)).toBe(true);
  });
});
