import { describe, expect, it } from 'vitest';
import { formatCompare, medianTable, type CompareTable } from './run-compare.js';

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

describe('medianTable', () => {
  const table = (cpu: number, p99: number | undefined) => ({
    connections: 10,
    ratePerSec: 100,
    durationSec: 1,
    payloadChars: 10,
    window: 1,
    entries: [{ name: 'floor', cpuUsPerMessage: cpu, ...(p99 === undefined ? {} : { p99 }), warnings: [`w${cpu}`] }],
  });

  it('takes the median of each figure over the runs that measured it, and keeps warnings once', () => {
    const m = medianTable([table(30, 5), table(10, undefined), table(20, 7)]);
    expect(m.runs).toBe(3);
    expect(m.entries[0]!.cpuUsPerMessage).toBe(20);
    expect(m.entries[0]!.p99).toBe(6);
    expect(m.entries[0]!.warnings).toEqual(['w30', 'w10', 'w20']);
    expect(formatCompare(m)).toContain('median of 3 runs');
  });
});
