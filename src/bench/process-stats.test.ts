import { describe, expect, it } from 'vitest';
import { parseProcStat, parseProcStatusRss } from './process-stats.js';

describe('parseProcStat', () => {
  it('adds utime and stime, counting fields after a command name with spaces', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 100 1000 200';
    expect(parseProcStat(stat)).toBe(3);
  });
});

describe('parseProcStatusRss', () => {
  it('reads VmRSS in bytes', () => {
    expect(parseProcStatusRss('Name:\tnode\nVmRSS:\t   2048 kB\nThreads: 7\n')).toBe(2048 * 1024);
  });

  it('throws a named error without a VmRSS line', () => {
    expect(() => parseProcStatusRss('Name: x')).toThrow(expect.objectContaining({ name: 'ProcessStatsError' }) as Error);
  });
});
