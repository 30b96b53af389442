import { describe, expect, it } from 'vitest';
import { formatBenchResult, generatorWarnings, toBenchJson, type BenchResult } from './bench-result.js';

const result: BenchResult = {
  scenario: 'seed',
  protocol: 'switchboard',
  feature: 'FAST',
  connections: 10,
  connected: 10,
  payloadChars: 1000,
  durationSec: 5,
  sent: 5000,
  received: 4990,
  lost: 10,
  duplicates: 0,
  msgsPerSec: 998,
  latency: { count: 4990, p50: 1.5, p90: 2.5, p99: 9.25, p999: 20, max: 31.5, mean: 1.9 },
  errors: { RATE_LIMITED: 3 },
  disconnects: 0,
  skippedSends: 0,
  lateSends: 0,
  maxSendLagMs: 0.4,
  generatorElu: 0.31,
  warnings: [],
  timeline: [],
  buckets: [],
  startedAt: '2025-01-01T00:00:00.000Z',
};

describe('toBenchJson', () => {
  it('starts with the contract keys, latencies in ms', () => {
    const json = toBenchJson(result);
    expect(Object.keys(json).slice(0, 9)).toEqual(['sent', 'received', 'lost', 'msgsPerSec', 'p50', 'p90', 'p99', 'p999', 'max']);
    expect(json).toMatchObject({ sent: 5000, received: 4990, lost: 10, msgsPerSec: 998, p50: 1.5, p90: 2.5, p99: 9.25, p999: 20, max: 31.5 });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('leaves out the timeline and histogram (they go to the report)', () => {
    expect(toBenchJson(result)).not.toHaveProperty('timeline');
  });
});

describe('formatBenchResult', () => {
  it('prints every figure the contract names', () => {
    const text = formatBenchResult(result);
    for (const word of ['sent', 'received', 'lost', 'msgs/s', 'p50', 'p90', 'p99', 'p99.9', 'max', 'RATE_LIMITED 3']) expect(text).toContain(word);
  });
});

describe('generatorWarnings', () => {
  it('says when the generator, not the server, is the limit', () => {
    expect(generatorWarnings({ elu: 0.5, scheduled: 1000, late: 0, skipped: 0, connected: 10, connections: 10 })).toEqual([]);
    const w = generatorWarnings({ elu: 0.97, scheduled: 1000, late: 50, skipped: 2, connected: 9, connections: 10 });
    expect(w).toHaveLength(4);
    expect(w[0]).toContain('generator may be the limit');
  });
});
