import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../protocol/decode-frame.js';
import { encodeAccepted, encodeAuthReply, encodeConfirmation, encodeError, encodeMessageRaw } from '../protocol/frames.js';
import { FrameBuilder, FrameScanner, Received } from './bench-codec.js';

describe('FrameBuilder', () => {
  it('builds a valid MESSAGE frame whose content has exactly the payload length', () => {
    const b = new FrameBuilder(100, 'FAST');
    const text = b.frame(b.messagePrefix('demo-1'), 42, 123_456);
    const decoded = decodeFrame(text);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.frame.type !== 'MESSAGE') throw new Error('not a message');
    expect(decoded.frame.feature).toBe('FAST');
    expect(decoded.frame.data.to).toBe('demo-1');
    expect(decoded.frame.data.content).toHaveLength(100);
    expect(String(decoded.frame.data.content).startsWith('42.123456.')).toBe(true);
  });

  it('builds GROUP_MESSAGE and referenced frames the decoder accepts', () => {
    const b = new FrameBuilder(10, 'RELIABLE');
    const group = decodeFrame(b.frame(b.groupPrefix(['demo-1', 'demo-2']), 1, 2));
    expect(group.ok && group.frame.type).toBe('GROUP_MESSAGE');
    const ref = decodeFrame(b.referencedFrame(b.messagePrefix('demo-3'), 7, 8));
    expect(ref.ok && ref.frame.reference).toBe('7.8');
  });
});

describe('FrameScanner', () => {
  it('reads the header of a delivered message without a full parse', () => {
    const s = new FrameScanner();
    expect(s.scan(encodeMessageRaw('demo-1', '"5.900.xxxx"', 'id-1', undefined))).toBe(Received.Message);
    expect([s.seq, s.sentUs]).toEqual([5, 900]);
  });

  it('reads an echoed client frame (the echo floor)', () => {
    const b = new FrameBuilder(20, 'FAST');
    const s = new FrameScanner();
    expect(s.scan(b.frame(b.messagePrefix('demo-2'), 9, 10))).toBe(Received.Message);
    expect([s.seq, s.sentUs]).toEqual([9, 10]);
  });

  it('reads MESSAGE_ACCEPTED by its reference', () => {
    const s = new FrameScanner();
    expect(s.scan(encodeAccepted('11.22', 'id'))).toBe(Received.Accepted);
    expect([s.seq, s.sentUs]).toEqual([11, 22]);
  });

  it('reads MESSAGE_CONFIRMATION by its reference', () => {
    const s = new FrameScanner();
    expect(s.scan(encodeConfirmation('33.44'))).toBe(Received.Confirmed);
    expect([s.seq, s.sentUs]).toEqual([33, 44]);
    expect(s.scanBytes(Buffer.from(encodeConfirmation('5.6')))).toBe(Received.Confirmed);
    expect([s.seq, s.sentUs]).toEqual([5, 6]);
    expect(s.scan(encodeConfirmation('not-a-header'))).toBe(Received.Other);
  });

  it('falls back to a full parse for other frames and other layouts', () => {
    const s = new FrameScanner();
    expect(s.scan(encodeAuthReply('demo', 'demo-1', true))).toBe(Received.AuthReply);
    expect(s.authenticated).toBe(true);
    expect(s.scan(encodeError('RATE_LIMITED', 'slow down'))).toBe(Received.Error);
    expect(s.errorCode).toBe('RATE_LIMITED');
    expect(s.scan('{"type":"MESSAGE","data":{"id":"x","content":"3.4.pad","from":"a"}}')).toBe(Received.Message);
    expect(s.scan('{"type":"MESSAGE","data":{"content":{"not":"bench"}}}')).toBe(Received.Other);
    expect(s.scan('not json')).toBe(Received.Other);
  });
});

describe('FrameScanner#scanBytes', () => {
  it('classifies raw frames like scan() does', () => {
    const b = new FrameBuilder(50, 'FAST');
    const s = new FrameScanner();
    const cases: Array<[string, number]> = [
      [encodeMessageRaw('demo-1', '"5.900.xxxx"', 'id-1', undefined), Received.Message],
      [b.frame(b.messagePrefix('demo-2'), 9, 10), Received.Message],
      [encodeAccepted('11.22', 'id'), Received.Accepted],
      [encodeAuthReply('demo', 'demo-1', false), Received.AuthReply],
      [encodeError('FORBIDDEN', 'no'), Received.Error],
      ['{"type":"MESSAGE","data":{"id":"x","content":"3.4.pad","from":"a"}}', Received.Message],
      ['{"type":"MESSAGE","data":{"content":"nothing"}}', Received.Other],
    ];
    for (const [text, kind] of cases) {
      const fromString = new FrameScanner();
      expect(fromString.scan(text)).toBe(kind);
      expect(s.scanBytes(Buffer.from(text))).toBe(kind);
      if (kind === Received.Message || kind === Received.Accepted) expect([s.seq, s.sentUs]).toEqual([fromString.seq, fromString.sentUs]);
    }
    expect(s.scanBytes(Buffer.from(encodeAuthReply('demo', 'demo-1', true)))).toBe(Received.AuthReply);
    expect(s.authenticated).toBe(true);
  });
});
