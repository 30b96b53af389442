import { describe, expect, it } from 'vitest';
import { autoGenerators, isLoopbackUrl, planGenerators, sourceAddresses } from './generator-plan.js';

describe('planGenerators', () => {
  it('splits users into contiguous slices differing by at most one, each with its address', () => {
    const slices = planGenerators({ connections: 10, generators: 3, userOffset: 100, addresses: ['127.0.0.2', '127.0.0.3', undefined] });
    expect(slices).toEqual([
      { index: 0, userOffset: 100, connections: 4, localAddress: '127.0.0.2' },
      { index: 1, userOffset: 104, connections: 3, localAddress: '127.0.0.3' },
      { index: 2, userOffset: 107, connections: 3 },
    ]);
    const big = planGenerators({ connections: 18_000, generators: 4, userOffset: 0, addresses: [] });
    expect(big.map((s) => s.connections)).toEqual([4_500, 4_500, 4_500, 4_500]);
    expect(big.reduce((n, s) => n + s.connections, 0)).toBe(18_000);
  });

  it('never makes an empty slice', () => {
    expect(planGenerators({ connections: 2, generators: 5, userOffset: 0, addresses: [] }).map((s) => s.connections)).toEqual([1, 1]);
  });
});

describe('autoGenerators', () => {
  it('keeps small runs in the bench process and gives large ones a process per 9,000', () => {
    expect(autoGenerators(9_000, 0)).toBe(0);
    expect(autoGenerators(9_001, 0)).toBe(2);
    expect(autoGenerators(18_000, 0)).toBe(2);
    expect(autoGenerators(19_990, 0)).toBe(3);
    expect(autoGenerators(100, 4)).toBe(4);
  });
});

describe('sourceAddresses', () => {
  it('uses 127.0.0.2… for a loopback server, the given list cycled, or none', () => {
    expect(sourceAddresses('ws://127.0.0.1:8080/ws', 3, [])).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(sourceAddresses('ws://localhost:8080/ws', 1, [])).toEqual(['127.0.0.2']);
    expect(sourceAddresses('ws://10.0.0.5:8080/ws', 2, [])).toEqual([undefined, undefined]);
    expect(sourceAddresses('ws://[::1]:8080/ws', 1, [])).toEqual([undefined]);
    expect(sourceAddresses('ws://10.0.0.5:8080/ws', 3, ['10.0.0.9', '10.0.0.10'])).toEqual(['10.0.0.9', '10.0.0.10', '10.0.0.9']);
    expect(sourceAddresses('ws://127.0.0.1:1/ws', 300, [])[253]).toBe('127.0.0.2');
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackUrl('ws://127.1.2.3:1/ws')).toBe(true);
    expect(isLoopbackUrl('ws://example.com/ws')).toBe(false);
  });
});
