// `switchboard bench --scenario idle` over several generator processes (issue 19): each process
// opens its slice of the users from its own loopback source address; the result says how fast
// the connections opened and what the idle server cost in memory and CPU.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { killAll, spawnCli, startCli } from '../support/cli.js';

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function bench(args: string[]): Promise<Record<string, unknown>> {
  const run = spawnCli(['bench', '--json', '--quiet', ...args]);
  const { code } = await run.exited();
  expect(code, run.output()).toBe(0);
  const line = run.output().split('\n').find((l) => l.startsWith('{'));
  return JSON.parse(line!) as Record<string, unknown>;
}

describe('bench --scenario idle over generator processes', () => {
  it('spreads the users over 3 processes, each from its own 127.0.0.x address', async () => {
    const from = new Map<string, number>();
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, req) => {
      const address = req.socket.remoteAddress ?? '?';
      from.set(address, (from.get(address) ?? 0) + 1);
      socket.on('message', (data) => socket.send(data));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => (wss.close(), http.close(() => r()))));
    const port = (http.address() as { port: number }).port;
    const r = await bench(['--url', `ws://127.0.0.1:${port}/ws`, '--protocol', 'echo', '--scenario', 'idle', '--connections', '90', '--generators', '3', '--duration', '1']);
    console.log(`connected ${String(r.connected)}, from ${JSON.stringify(Object.fromEntries(from))}, idleRun ${JSON.stringify(r.idleRun)}`);
    expect(r.connected).toBe(90);
    expect(Object.fromEntries(from)).toEqual({ '127.0.0.2': 30, '127.0.0.3': 30, '127.0.0.4': 30 });
    expect(r.idleRun).toMatchObject({ generators: 3, sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'], openFailures: {} });
    expect((r.idleRun as { connectsPerSec: number }).connectsPerSec).toBeGreaterThan(0);
  }, 30_000);

  it('against serve: every connection authenticated, server memory per connection and idle CPU reported', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-spread-'));
    dirs.push(dataDir);
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    const r = await bench(['--url', s.wsUrl, '--scenario', 'idle', '--connections', '400', '--generators', '2', '--duration', '2', '--server-pid', String(s.proc.pid)]);
    const run = r.idleRun as { serverCpuPercent?: number; connectsPerSec: number; openFailures: Record<string, number> };
    const memory = r.idleMemory as { bytesPerConnection: number };
    console.log(`connected ${String(r.connected)}, ${run.connectsPerSec}/s, ${(memory.bytesPerConnection / 1024).toFixed(1)} KiB per connection, server CPU ${String(run.serverCpuPercent)} %`);
    expect(r.connected).toBe(400);
    expect(run.openFailures).toEqual({});
    expect(run.serverCpuPercent).toBeGreaterThanOrEqual(0);
    expect(memory.bytesPerConnection).toBeGreaterThan(0);
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    // The generators closed their connections when the run ended.
    const opened = Number(/^switchboard_connections_opened_total (\d+)/m.exec(metrics)?.[1]);
    expect(opened).toBe(400);
  }, 60_000);
});
