import { describe, expect, it } from 'vitest';
import { cpuOf, crossNodePlan, groupCpu } from './cluster-plan.js';
import type { ProcessSample } from './process-stats.js';

describe('crossNodePlan', () => {
  it('puts connections half and half on two nodes, and every one addresses a user on the other node', () => {
    for (const n of [2, 3, 7, 20, 2000]) {
      const plan = crossNodePlan(n);
      expect(plan).toHaveLength(n);
      const onNode0 = plan.filter((s) => s.node === 0).length;
      expect(Math.abs(onNode0 - (n - onNode0))).toBeLessThanOrEqual(1);
      for (const [i, slot] of plan.entries()) {
        expect(slot.partner).toBeGreaterThanOrEqual(0);
        expect(slot.partner).toBeLessThan(n);
        expect(plan[slot.partner]!.node, `connection ${i} of ${n}`).not.toBe(slot.node);
      }
    }
  });

  it('pairs neighbours so that each pair crosses both ways', () => {
    expect(crossNodePlan(4)).toEqual([
      { node: 0, partner: 1 },
      { node: 1, partner: 0 },
      { node: 0, partner: 3 },
      { node: 1, partner: 2 },
    ]);
  });

  it('gives every user exactly one sender when the count divides evenly (three nodes too)', () => {
    for (const [n, nodes] of [[10, 2], [9, 3]] as const) {
      const receivers = crossNodePlan(n, nodes).map((s) => s.partner).sort((a, b) => a - b);
      expect(receivers).toEqual(Array.from({ length: n }, (_, i) => i));
      for (const slot of crossNodePlan(n, nodes)) expect(slot.node).toBeLessThan(nodes);
    }
  });

  it('refuses plans that cannot cross', () => {
    expect(() => crossNodePlan(1)).toThrow(RangeError);
    expect(() => crossNodePlan(10, 1)).toThrow(RangeError);
  });
});

describe('groupCpu', () => {
  const s = (cpuSeconds: number): ProcessSample => ({ cpuSeconds, rssBytes: 0 });

  it('sums the CPU of every process sampled at both ends and keeps each share', () => {
    const before = new Map([['node-0', s(10)], ['node-1', s(20)], ['redis', s(1)]]);
    const after = new Map([['node-0', s(12.5)], ['node-1', s(21)], ['redis', s(1.25)]]);
    const cpu = groupCpu(before, after);
    expect(cpu.totalSeconds).toBeCloseTo(3.75, 9);
    expect(cpu.byLabel).toEqual({ 'node-0': 2.5, 'node-1': 1, redis: 0.25 });
    expect(cpu.missing).toEqual([]);
    expect(cpuOf(cpu, 'node-')).toBeCloseTo(3.5, 9);
    expect(cpuOf(cpu, 'redis')).toBeCloseTo(0.25, 9);
  });

  it('leaves out and names a process missing at either end or whose counter went backwards', () => {
    const before = new Map([['a', s(1)], ['b', undefined], ['c', s(5)]]);
    const after = new Map([['a', s(2)], ['b', s(3)], ['c', s(4)], ['d', s(1)]]);
    const cpu = groupCpu(before, after);
    expect(cpu.totalSeconds).toBe(1);
    expect([...cpu.missing].sort()).toEqual(['b', 'c', 'd']);
  });
});
