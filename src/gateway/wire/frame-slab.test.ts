import { describe, expect, it } from 'vitest';
import { HEADROOM, allocFrame, hasHeadroom } from './frame-slab.js';

describe('allocFrame', () => {
  it('gives each frame headroom of its own: writing a header in front of one never touches another', () => {
    const frames = Array.from({ length: 200 }, (_, i) => allocFrame(1 + ((i * 37) % 900)));
    frames.forEach((f, i) => f.fill(i % 250));
    for (const f of frames) {
      expect(hasHeadroom(f)).toBe(true);
      new Uint8Array(f.buffer, f.byteOffset - HEADROOM, HEADROOM).fill(0xff);
    }
    frames.forEach((f, i) => expect(f.every((b) => b === i % 250)).toBe(true));
  });

  it('moves to a new slab when one is full, and gives a large frame memory of its own', () => {
    const first = allocFrame(1000);
    let next = allocFrame(1000);
    for (let i = 0; i < 100 && next.buffer === first.buffer; i++) next = allocFrame(1000);
    expect(next.buffer).not.toBe(first.buffer);
    expect(next.byteOffset).toBe(HEADROOM);
    const large = allocFrame(100_000);
    expect(large.byteOffset).toBe(HEADROOM);
    expect(large.buffer.byteLength).toBe(HEADROOM + 100_000);
    expect(hasHeadroom(large)).toBe(true);
  });

  it('knows memory that is not its own', () => {
    expect(hasHeadroom(Buffer.from('x'.repeat(100)))).toBe(false);
    expect(hasHeadroom(new Uint8Array(100))).toBe(false);
    expect(hasHeadroom(Buffer.allocUnsafeSlow(100))).toBe(false);
  });
});
