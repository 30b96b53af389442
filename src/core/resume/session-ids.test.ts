import { describe, expect, it } from 'vitest';
import type { NodeId } from '../ids.js';
import { frameKey, homeOf, newSessionId, sameText } from './session-ids.js';

describe('session ids', () => {
  it('name their home node when it fits in 64 characters', () => {
    const id = newSessionId('node-a.1' as NodeId);
    expect(id).toMatch(/^node-a\.1\.[0-9a-f]{32}$/);
    expect(homeOf(id)).toBe('node-a.1');
    const long = newSessionId('n'.repeat(40) as NodeId);
    expect(long).toMatch(/^[0-9a-f]{32}$/);
    expect(homeOf(long)).toBeUndefined();
  });
  it('compares tokens whole', () => {
    expect(sameText('abc', 'abc')).toBe(true);
    expect(sameText('abc', 'abd')).toBe(false);
    expect(sameText('abc', 'ab')).toBe(false);
  });
  it('keys a MESSAGE by id, a MESSAGE_CONFIRMATION by reference, anything else by its text', () => {
    expect(frameKey('{"type":"MESSAGE","data":{"from":"demo-1","content":1,"id":"x1"}}')).toBe('MESSAGE\nx1');
    expect(frameKey(new TextEncoder().encode('{"type":"MESSAGE","data":{"from":"demo-2","content":2,"id":"x1"}}'))).toBe('MESSAGE\nx1');
    expect(frameKey('{"type":"MESSAGE_CONFIRMATION","data":{"reference":"r1"}}')).toBe('MESSAGE_CONFIRMATION\nr1');
    expect(frameKey('{"type":"USER_CONNECTED","data":{"userId":"demo-1"}}')).toBe('{"type":"USER_CONNECTED","data":{"userId":"demo-1"}}');
  });
});
