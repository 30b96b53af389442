import { describe, expect, it } from 'vitest';
import { clusterTargets, formatClusterCompare, medianClusterTable, RELAY_FLOOR, relayFloorRatios, type ClusterEntry, type ClusterTable } from './cluster-format.js';

type Over = { -readonly [K in keyof ClusterEntry]?: ClusterEntry[K] | undefined };
const table = (oursCpu: number, over: Partial<Record<'floor' | 'ours' | 'sio' | 'reliable', Over>> = {}): ClusterTable => ({
  connections: 2000,
  ratePerSec: 5000,
  durationSec: 10,
  payloadChars: 1000,
  window: 16,
  saturationConnections: 1000,
  saturationIntervalMs: 10,
  entries: ([
    { name: 'floor', cpuUsPerMessage: 30, p50: 1, p99: 10, lostAtRate: 0, saturationP50: 100, warnings: [], ...over.floor },
    { name: 'ours', cpuUsPerMessage: oursCpu, redisCpuUsPerMessage: 8, p50: 1.5, p99: 15, lostAtRate: 0, saturationP50: 400, warnings: [], ...over.ours },
    { name: 'sio', cpuUsPerMessage: 150, redisCpuUsPerMessage: 10, p50: 2, p99: 30, lostAtRate: 0, saturationP50: 1100, warnings: ['late'], ...over.sio },
    { name: 'reliable', cpuUsPerMessage: 120, postgresCpuUsPerMessage: 40, offlineAcceptedPerSec: 12_000, warnings: [], ...over.reliable },
  ] as ClusterEntry[]).map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as ClusterEntry),
});

describe('clusterTargets', () => {
  it('checks CPU against the floor and Socket.IO, p99, loss, saturation and offline throughput', () => {
    const checks = clusterTargets(table(60));
    expect(checks.map((c) => [c.measured, c.met])).toEqual([
      ['2.00×', true],
      ['0.40×', true],
      ['1.50×', true],
      ['0', true],
      ['4.00×', true],
      ['12000/s', true],
    ]);
  });

  it('marks what is over a target, and a figure that is missing as neither met nor not met', () => {
    const checks = clusterTargets(table(61, { ours: { lostAtRate: 3, p99: 25 }, reliable: { offlineAcceptedPerSec: 9_999 }, sio: { cpuUsPerMessage: undefined } }));
    expect(checks.map((c) => c.met)).toEqual([false, undefined, false, false, true, false]);
  });
});

describe('medianClusterTable and formatClusterCompare', () => {
  it('takes each figure’s median, keeps each run’s own ratios, and prints ratios to the floor and the targets', () => {
    const m = medianClusterTable([table(90), table(60), table(45)]);
    expect(m.runs).toBe(3);
    expect(m.entries[1]!.cpuUsPerMessage).toBe(60);
    expect(m.perRun?.map((run) => run[0]!.measured)).toEqual(['3.00×', '2.00×', '1.50×']);
    const text = formatClusterCompare(m);
    expect(text).toContain('each figure the median of 3 runs');
    expect(text).toContain('60.0 µs (2.00×)');
    expect(text).toContain('1100.00 ms (11.00×)');
    expect(text).toMatch(/met\s+FAST CPU per message \(2 nodes \+ Redis\) ≤ 2\.0× the floor: 2\.00× \(runs: 3\.00×, 2\.00×, 1\.50×\)/);
    expect(text).toContain('sio: late');
  });

  it('shows a column that could not run as n/a with its reason', () => {
    const t = table(60, { sio: { unavailable: 'did not start' } });
    const text = formatClusterCompare(t);
    expect(text).toContain('sio: unavailable: did not start');
    expect(text).toMatch(/\| n\/a\s+\|/);
  });

  it('prints the relay floor against the floor, and switchboard against the relay floor, in each run', () => {
    const withRelay = (ours: number, relay: number): ClusterTable => {
      const t = table(ours);
      return { ...t, entries: [...t.entries, { name: RELAY_FLOOR, cpuUsPerMessage: relay, redisCpuUsPerMessage: 12, warnings: [] }] };
    };
    expect(relayFloorRatios(table(60))).toBeUndefined();
    expect(relayFloorRatios(withRelay(90, 120))).toEqual({ relayVsFloor: 4, oursVsRelay: 0.75 });
    const m = medianClusterTable([withRelay(90, 120), withRelay(60, 90), withRelay(45, 60)]);
    // Targets still read the first four columns, whatever follows them.
    expect(clusterTargets(m)[0]!.measured).toBe('2.00×');
    expect(formatClusterCompare(m)).toContain('the relay floor (2 nodes + Redis, CPU per message): 3.00× the single-node floor; switchboard FAST 0.67× the relay floor (runs: 4.00× / 0.75×, 3.00× / 0.67×, 2.00× / 0.75×)');
  });
});
