import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runCli, startChildServer, type ChildServer } from '../support/bench-process.js';

describe('switchboard bench against switchboard serve', () => {
  let serve: ChildServer;

  beforeAll(async () => {
    serve = await startChildServer(cliPath, ['serve', '--port', '0', '--store', 'memory', '--rate-limit', '0', '--log-level', 'warn']);
  });

  afterAll(async () => {
    await serve.stop();
  });

  const url = () => `ws://127.0.0.1:${serve.port}/ws`;

  it('runs the seed workload (FAST, to self) with nothing lost', async () => {
    const run = await runCli(['bench', '--url', url(), '--connections', '20', '--interval', '20', '--payload', '1000', '--duration', '2', '--feature', 'FAST', '--json'], 15_000);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as Record<string, number>;
    expect(r.connected).toBe(20);
    expect(r.sent).toBe(2_000);
    expect(r.received).toBe(r.sent);
    expect(r.lost).toBe(0);
    expect(r.duplicates).toBe(0);
    expect(r.p50!).toBeLessThanOrEqual(r.p99!);
    expect(r.p99!).toBeLessThanOrEqual(r.max!);
  }, 20_000);

  it('with --references, counts a MESSAGE_ACCEPTED and a MESSAGE_CONFIRMATION for every RELIABLE message', async () => {
    const run = await runCli(['bench', '--url', url(), '--scenario', 'rate', '--rate', '200', '--connections', '10', '--payload', '200', '--duration', '2', '--feature', 'RELIABLE', '--references', '--user-offset', '200000', '--json'], 15_000);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(r.sent).toBe(400);
    expect(r.lost).toBe(0);
    expect(r.accepted).toBe(400);
    expect(r.confirmed).toBe(400);
    expect(r.errors).toEqual({});
  }, 20_000);

  it('measures RELIABLE to offline users by MESSAGE_ACCEPTED', async () => {
    const run = await runCli(['bench', '--url', url(), '--scenario', 'offline', '--connections', '5', '--window', '4', '--payload', '100', '--duration', '1', '--user-offset', '300000', '--json'], 15_000);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(r.feature).toBe('RELIABLE');
    expect(r.sent as number).toBeGreaterThan(0);
    expect(r.lost).toBe(0);
    expect(r.errors).toEqual({});
  }, 20_000);
});
