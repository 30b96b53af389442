import { describe, expect, it } from 'vitest';
import { formatCompare, type CompareTable } from './run-compare.js';

describe('formatCompare', () => {
  it('prints one row per metric with ratios to the floor and marks unavailable targets', () => {
    const table: CompareTable = {
      connections: 100,
      ratePerSec: 1000,
      durationSec: 10,
      payloadChars: 1000,
      window: 16,
      entries: [
        { name: 'floor', cpuUsPerMessage: 10, cpuUsPerMessageOpenLoop: 5, p50: 1, p99: 2, maxMsgsPerSec: 40000, idleBytesPerConnection: 10240, lostAtRate: 0, warnings: [] },
        { name: 'other', cpuUsPerMessage: 25, cpuUsPerMessageOpenLoop: 10, p50: 2, p99: 8, maxMsgsPerSec: 20000, idleBytesPerConnection: 20480, lostAtRate: 0, warnings: ['slow'] },
        { name: 'gone', unavailable: 'did not start', warnings: [] },
      ],
    };
    const text = formatCompare(table);
    expect(text).toContain('25.0 µs (2.50×)');
    expect(text).toContain('20000 (0.50×)');
    expect(text).toContain('20.0 KiB (2.00×)');
    expect(text).toMatch(/\| n\/a\s+\|/);
    expect(text).toContain('gone: unavailable: did not start');
    expect(text).toContain('other: slow');
  });
});
