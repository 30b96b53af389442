import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger, type MessageStore } from '../core/ports.js';
import { expiryPlan, startRetention, sweepIntervalMs } from './retention.js';

describe('retention', () => {
  it('plans one global expiry when no app sets its own TTL, else one per app with a TTL', () => {
    const apps = [{ appName: 'a' }, { appName: 'b' }];
    expect(expiryPlan(0, apps)).toEqual([]);
    expect(expiryPlan(1_000, apps)).toEqual([{ ttlMs: 1_000 }]);
    expect(expiryPlan(1_000, [{ appName: 'a', messageTtl: 0 }, { appName: 'b' }, { appName: 'c', messageTtl: 50 }])).toEqual([
      { ttlMs: 1_000, prefix: 'b-' },
      { ttlMs: 50, prefix: 'c-' },
    ]);
    expect(expiryPlan(0, [{ appName: 'a', messageTtl: 0 }])).toEqual([]);
  });

  it('sweeps every quarter of the shortest TTL, within 250 ms and a minute', () => {
    expect(sweepIntervalMs([])).toBeUndefined();
    expect(sweepIntervalMs([0])).toBeUndefined();
    expect(sweepIntervalMs([100])).toBe(250);
    expect(sweepIntervalMs([8_000, 4_000])).toBe(1_000);
    expect(sweepIntervalMs([86_400_000])).toBe(60_000);
  });

  it('expires through the store, counts what expired, and survives a failing store', async () => {
    const calls: [number, string | undefined][] = [];
    let fail = false;
    const store = {
      expire: (before: number, prefix?: string) => {
        calls.push([before, prefix]);
        return fail ? Promise.reject(new Error('down')) : Promise.resolve(3);
      },
    } as unknown as MessageStore;
    const registry = new Registry();
    const retention = startRetention({ messageTtlMs: 0, apps: [{ appName: 'x', messageTtl: 100 }], store, registry, logger: silentLogger, clock: () => 10_000 });
    expect(retention.everyMs).toBe(250);
    expect(await retention.sweep()).toBe(3);
    expect(calls).toEqual([[9_900, 'x-']]);
    fail = true;
    expect(await retention.sweep()).toBe(0);
    expect(await registry.getSingleMetricAsString('switchboard_messages_expired_total')).toContain('switchboard_messages_expired_total 3');
    await retention.stop();
  });
});
