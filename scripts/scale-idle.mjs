// Idle connections at scale (issue 19): for each size, a fresh raw-ws floor (the bench's echo
// server) and then a fresh `switchboard serve` (default settings, default heartbeats) each get
// SIZE idle connections from `switchboard bench --scenario idle` spread over generator processes
// and 127.0.0.x source addresses. Prints, per size, memory per connection (RSS delta / connections),
// the server's CPU over the idle period (% of one core) and the connect rate (floor: connect + one
// echo; Switchboard: connect + AUTH_CLIENT), with Switchboard's ratios to the floor of the same run.
// Not part of `npm test`: run `npm run scale:idle -- [--sizes 1000,5000,18000] [--duration 30] [--generators 2] [--out FILE.json]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = String(arg('sizes', '1000,5000,18000')).split(',').map(Number);
const DURATION = Number(arg('duration', 30));
const GENERATORS = Number(arg('generators', 2));
const OUT = arg('out', undefined);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const echo = fileURLToPath(new URL('../dist-lab/bench-lab/echo-server.js', import.meta.url));

/** Starts `node script args` and resolves with {proc, port} once it prints its listening line. */
function start(script, args) {
  const proc = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await new Promise((r) => proc.once('exit', r));
  clearTimeout(timer);
}

function bench(args) {
  const proc = spawn(process.execPath, [cli, 'bench', '--scenario', 'idle', '--json', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    proc.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) reject(new Error(`bench exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    }),
  );
}

// Each measurement connects from source addresses no earlier one used (a random block of 127.0.0.x
// per invocation, then the next): a client socket bound to an address keeps its port through
// TIME_WAIT (60 s) after the bench closes it, and binding from an address that holds thousands of
// them costs the generators milliseconds of CPU per connection — the second run of a pair (Switchboard,
// after its floor) would measure that instead of the server.
let nextAddress = Math.floor(Math.random() * 253);
function freshSourceAddresses() {
  return Array.from({ length: GENERATORS }, () => `127.0.0.${2 + (nextAddress++ % 253)}`).join(',');
}

async function measure(kind, size) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-scale-'));
  const server = kind === 'floor' ? await start(echo, ['--port', '0']) : await start(cli, ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  try {
    const r = await bench(['--url', `ws://127.0.0.1:${server.port}/ws`, '--protocol', kind === 'floor' ? 'echo' : 'switchboard', '--connections', String(size), '--generators', String(GENERATORS), '--duration', String(DURATION), '--server-pid', String(server.proc.pid), '--source-addresses', freshSourceAddresses()]);
    const row = {
      kind,
      size,
      connected: r.connected,
      bytesPerConnection: r.idleMemory?.bytesPerConnection,
      rssBeforeMiB: r.idleMemory && Math.round(r.idleMemory.rssBeforeBytes / 1048576),
      rssAfterMiB: r.idleMemory && Math.round(r.idleMemory.rssAfterBytes / 1048576),
      connectsPerSec: r.idleRun.connectsPerSec,
      connectMs: r.idleRun.connectMs,
      serverCpuPercent: r.idleRun.serverCpuPercent,
      serverCpuUsPerConnect: r.idleRun.serverCpuUsPerConnect,
      openFailures: r.idleRun.openFailures,
      disconnects: r.disconnects,
      warnings: r.warnings,
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await stop(server.proc);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [];
for (const size of SIZES) {
  const floor = await measure('floor', size);
  const ours = await measure('switchboard', size);
  rows.push({
    size,
    floor,
    switchboard: ours,
    memoryRatio: Math.round((ours.bytesPerConnection / floor.bytesPerConnection) * 100) / 100,
    connectRateRatio: Math.round((ours.connectsPerSec / floor.connectsPerSec) * 100) / 100,
    connectCpuRatio: Math.round((ours.serverCpuUsPerConnect / floor.serverCpuUsPerConnect) * 100) / 100,
  });
}
console.log('\n| connections | floor KiB/conn | switchboard KiB/conn | ratio | floor connects/s | switchboard connect+auth/s | ratio | server CPU µs per connect, floor / switchboard (ratio) | switchboard idle CPU % of a core | floor idle CPU % |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const kib = (b) => (b / 1024).toFixed(1);
for (const r of rows) {
  console.log(`| ${r.size} | ${kib(r.floor.bytesPerConnection)} | ${kib(r.switchboard.bytesPerConnection)} | ${r.memoryRatio}× | ${r.floor.connectsPerSec} | ${r.switchboard.connectsPerSec} | ${r.connectRateRatio}× | ${r.floor.serverCpuUsPerConnect} / ${r.switchboard.serverCpuUsPerConnect} (${r.connectCpuRatio}×) | ${r.switchboard.serverCpuPercent} | ${r.floor.serverCpuPercent} |`);
}
if (OUT !== undefined) writeFileSync(OUT, JSON.stringify(rows, null, 2));
const ok = rows.every((r) => r.floor.connected === r.size && r.switchboard.connected === r.size);
process.exit(ok ? 0 : 1);
