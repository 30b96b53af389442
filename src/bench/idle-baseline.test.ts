import { describe, expect, it } from 'vitest';
import { idleBaselineWarnings } from './idle-baseline.js';

const MiB = 1024 * 1024;

describe('idleBaselineWarnings', () => {
  it('says nothing for a fresh server', () => {
    expect(idleBaselineWarnings({ rssBeforeBytes: 72 * MiB, cpuSecondsBefore: 1.1, bytesPerConnection: 20_000 })).toEqual([]);
  });

  it('warns, with the signs and how to measure, when the baseline was a busy server', () => {
    const [warning, ...rest] = idleBaselineWarnings({ rssBeforeBytes: 300 * MiB, cpuSecondsBefore: 42, bytesPerConnection: 300 });
    expect(rest).toEqual([]);
    expect(warning).toContain('42.0 s of CPU');
    expect(warning).toContain('300 MiB');
    expect(warning).toContain('0.3 KiB per connection');
    expect(warning).toContain('restart the server, run the idle scenario first');
  });

  it('warns on an implausibly small figure alone (no CPU known from /metrics)', () => {
    expect(idleBaselineWarnings({ rssBeforeBytes: 80 * MiB, bytesPerConnection: 1_000 })).toHaveLength(1);
  });
});
