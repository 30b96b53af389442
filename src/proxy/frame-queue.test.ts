import { describe, expect, it } from 'vitest';
import { FrameQueue, type Frame } from './frame-queue.js';

const frame = (text: string, isBinary = false): Frame => ({ data: Buffer.from(text), isBinary });

describe('FrameQueue', () => {
  describe('#push', () => {
    it('keeps frames in order with their binary flag', () => {
      const q = new FrameQueue({ maxFrames: 10, maxBytes: 100 });
      expect(q.push(frame('a'))).toBe(true);
      expect(q.push(frame('b', true))).toBe(true);
      expect(q.length).toBe(2);
      expect(q.bytes).toBe(2);
      expect(q.shift()).toEqual(frame('a'));
      expect(q.shift()).toEqual(frame('b', true));
      expect(q.shift()).toBeUndefined();
      expect(q.bytes).toBe(0);
    });

    it('refuses the frame that would pass the frame bound and stays unchanged', () => {
      const q = new FrameQueue({ maxFrames: 2, maxBytes: 100 });
      q.push(frame('a'));
      q.push(frame('b'));
      expect(q.push(frame('c'))).toBe(false);
      expect(q.length).toBe(2);
      expect(q.takeAll().map((f) => f.data.toString())).toEqual(['a', 'b']);
    });

    it('refuses the frame that would pass the byte bound, including one larger than the bound', () => {
      const q = new FrameQueue({ maxFrames: 100, maxBytes: 5 });
      expect(q.push(frame('abcdef'))).toBe(false);
      expect(q.push(frame('abc'))).toBe(true);
      expect(q.push(frame('def'))).toBe(false);
      expect(q.push(frame('de'))).toBe(true);
      expect(q.bytes).toBe(5);
    });

    it('accepts again once frames were taken out', () => {
      const q = new FrameQueue({ maxFrames: 1, maxBytes: 100 });
      q.push(frame('a'));
      expect(q.push(frame('b'))).toBe(false);
      q.shift();
      expect(q.push(frame('b'))).toBe(true);
    });
  });

  describe('#takeAll', () => {
    it('returns every frame oldest first and empties the queue', () => {
      const q = new FrameQueue({ maxFrames: 10, maxBytes: 100 });
      for (const s of ['1', '2', '3']) q.push(frame(s));
      q.shift();
      expect(q.takeAll().map((f) => f.data.toString())).toEqual(['2', '3']);
      expect(q.length).toBe(0);
      expect(q.bytes).toBe(0);
    });
  });

  describe('#shift', () => {
    it('keeps order across internal compaction', () => {
      const q = new FrameQueue({ maxFrames: 10_000, maxBytes: 1_000_000 });
      const out: string[] = [];
      for (let i = 0; i < 3_000; i += 1) {
        q.push(frame(String(i)));
        if (i % 3 === 0) out.push(q.shift()!.data.toString());
      }
      for (const f of q.takeAll()) out.push(f.data.toString());
      expect(out).toEqual(Array.from({ length: 3_000 }, (_, i) => String(i)));
    });
  });

  it('refuses limits below one', () => {
    expect(() => new FrameQueue({ maxFrames: 0, maxBytes: 1 })).toThrow(RangeError);
  });
});
