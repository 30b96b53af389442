// Backpressure instead of refusal (issue 19): one client's burst past the default --rate-limit
// (1,000 frames/s) is slowed by the server no longer reading its socket, not refused. Every
// message arrives, in order, no RATE_LIMITED; the server's memory stays bounded meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli, type CliProcess } from '../support/cli.js';
import { TestClient, type Frame } from '../support/test-client.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(): Promise<CliProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-overload-'));
  dirs.push(dataDir);
  return startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
}

/** The server's resident memory from its /metrics, in bytes. */
async function rss(s: CliProcess): Promise<number> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes '));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** Sends `frames` in one burst, collects `count` MESSAGEs back; samples the server's RSS meanwhile. */
async function burst(s: CliProcess, c: TestClient, frames: object[]): Promise<{ received: Frame[]; errors: Frame[]; ms: number; peakRss: number }> {
  const before = await rss(s);
  let peakRss = before;
  const sampler = setInterval(() => void rss(s).then((v) => (peakRss = Math.max(peakRss, v)), () => undefined), 100);
  const started = Date.now();
  for (const f of frames) c.send(f);
  const received: Frame[] = [];
  try {
    while (received.length < frames.length) received.push(await c.next('MESSAGE', 10_000));
  } finally {
    clearInterval(sampler);
  }
  const ms = Date.now() - started;
  const errors = c.frames.filter((f) => f.type === 'ERROR');
  const contents = received.map((f) => f.data.content as number);
  const duplicated = contents.length - new Set(contents).size;
  console.log(`sent ${frames.length}, received ${received.length}, lost ${frames.length - new Set(contents).size}, duplicated ${duplicated}, refused ${errors.length}, ${ms} ms, server RSS ${(before / 2 ** 20).toFixed(0)} → peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  return { received, errors, ms, peakRss: peakRss - before };
}

describe('a burst past --rate-limit is slowed, not refused', () => {
  it('5,000 FAST to itself with default settings: all arrive, in order, no RATE_LIMITED', async () => {
    const s = await serve();
    const c = await TestClient.connect(s.wsUrl);
    await c.auth('demo-1');
    const frames = Array.from({ length: 5_000 }, (_, i) => ({ type: 'MESSAGE', data: { to: 'demo-1', content: i }, feature: 'FAST' }));
    const r = await burst(s, c, frames);
    expect(r.received.map((f) => f.data.content)).toEqual([...Array(5_000).keys()]);
    expect(r.errors).toEqual([]);
    // 2,000 pass at once (the bucket holds 2 s), the other 3,000 at 1,000/s.
    expect(r.ms).toBeGreaterThanOrEqual(2_000);
    expect(r.peakRss).toBeLessThan(64 * 2 ** 20);
    // The slowing shows in /metrics: pauses for the rate, and none left once the budget refilled
    // (the last frames are processed while the socket still waits for its refill).
    const metrics = async (): Promise<string> => (await fetch(`${s.httpUrl}/metrics`)).text();
    let text = await metrics();
    const pauses = Number(/^switchboard_read_pauses_total\{reason="rate"\} (\d+)/m.exec(text)?.[1] ?? 0);
    for (let i = 0; i < 40 && !/^switchboard_connections_read_paused 0$/m.test(text); i++) text = await new Promise((r) => setTimeout(r, 100)).then(metrics);
    console.log(`read pauses (rate): ${pauses}`);
    expect(pauses).toBeGreaterThan(0);
    expect(text).toMatch(/^switchboard_connections_read_paused 0$/m);
  }, 20_000);

  it('2,000 FAST then 500 RELIABLE: all arrive, in order, none refused', async () => {
    const s = await serve();
    const c = await TestClient.connect(s.wsUrl);
    await c.auth('demo-1');
    const frames = [
      ...Array.from({ length: 2_000 }, (_, i) => ({ type: 'MESSAGE', data: { to: 'demo-1', content: i }, feature: 'FAST' })),
      ...Array.from({ length: 500 }, (_, i) => ({ type: 'MESSAGE', data: { to: 'demo-1', content: 2_000 + i }, feature: 'RELIABLE', reference: `r${i}` })),
    ];
    const r = await burst(s, c, frames);
    expect(r.received.map((f) => f.data.content)).toEqual([...Array(2_500).keys()]);
    expect(r.errors).toEqual([]);
    const accepted: string[] = [];
    while (accepted.length < 500) accepted.push((await c.next('MESSAGE_ACCEPTED', 10_000)).data.reference as string);
    expect(accepted).toEqual(Array.from({ length: 500 }, (_, i) => `r${i}`));
    expect(r.peakRss).toBeLessThan(64 * 2 ** 20);
  }, 20_000);
});
